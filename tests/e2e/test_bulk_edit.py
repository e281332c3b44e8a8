"""Editing several contacts at once from the list, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def test_set_a_job_title_on_the_selected_contacts(new_tab, crm):
    from crm.contacts.models import Contact

    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.switch_language("zh-hans")
    tab.open("/customers/contacts/?q=own+contact")
    rows = page.locator("#bulk-form tbody input[name=ids]")
    expect(rows.first).to_be_visible()
    ids = [rows.nth(i).get_attribute("value") for i in range(min(2, rows.count()))]
    for i in range(len(ids)):
        rows.nth(i).check()
    with page.expect_navigation():
        page.click("[data-bulk-edit]")
    tab.settle()
    expect(page.locator("main h1")).to_contain_text("编辑")
    page.check("input[name=change_title]")
    page.fill("input[name=title]", "区域经理")
    tab.screenshot("bulk-edit-zh")
    tab.resize(PHONE)
    tab.assert_fits_width()
    tab.screenshot("phone-bulk-edit-zh")
    with page.expect_navigation():
        page.click("#bulk-edit-form button.primary")
    tab.settle()
    expect(page.locator(".messages")).to_contain_text("已更新")
    titles = set(Contact.objects.filter(pk__in=ids).values_list("title", flat=True))
    assert titles == {"区域经理"}
    tab.assert_clean()
