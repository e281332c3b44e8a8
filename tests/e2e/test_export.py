"""Exports through a real browser: the CSV of a filtered list, and a large Excel file
that is built in the background and downloaded from the job's page."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_export_the_filtered_list_as_csv(new_tab, crm):
    manager = crm.users["manager"]
    tab = new_tab()
    page = tab.page
    tab.login(manager.username, crm.password)
    tab.open("/customers/contacts/?company_name=Acme")
    download = tab.download(page.locator("a[data-export='csv']"))
    assert download.suggested_filename == "contacts.csv"
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    names = {row[1] for row in rows[1:]}
    assert "Alice Chen" in names and "王芳" not in names  # the list's filter
    assert "Own contact of manager" in names
    tab.assert_clean()


def test_a_large_excel_export_is_prepared_in_the_background(new_tab, crm, settings, tmp_path):
    settings.EXPORT_BACKGROUND_ROWS = 2
    settings.EXPORT_DIR = tmp_path
    manager = crm.users["manager"]
    tab = new_tab()
    page = tab.page
    tab.login(manager.username, crm.password)
    tab.switch_language("zh-hans")
    tab.open("/customers/contacts/")
    with page.expect_navigation():
        page.click("a[data-export='xlsx']")
    tab.settle()
    assert "/jobs/" in page.url
    expect(page.locator(".messages")).to_contain_text("后台")
    button = page.locator("#job-progress a.btn.primary")
    expect(button).to_be_visible()
    tab.screenshot("export-job-zh")
    download = tab.download(button)
    assert download.suggested_filename == "contacts.xlsx"
    with open(download.path(), "rb") as file:
        sheet = openpyxl.load_workbook(file).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[1] == "名称"  # written in the language of the page that asked
    names = {row[1] for row in rows}
    assert {"Alice Chen", "王芳", "Bob Stone"} <= names
    assert not any("Hidden" in str(n) for n in names)
    tab.assert_clean()
