"""Importing contacts through a real browser: a GBK CSV is uploaded, its columns mapped
(suggested from the Chinese names), the preview shows the cleaned values and the row
in error, the import runs and shows its counts, the refused rows download, the history
lists it and undo takes it back. Desktop in English, 360 px in Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e

ROWS = [
    "姓名,手机,邮箱,职位,生日",
    "王芳,138 0013 8000,Wang.Fang@Example.com,采购经理,1990年5月1日",
    "李雷,１３９００１３９０００,li.lei@example.com,ＣＴＯ,1988/2/3",
    "Bad Phone,12345,not-an-email,Buyer,31.02.2020",
    "Alice Chen,13700137000,ALICE@example.com,CTO,",
]


def _gbk_file(name="客户.csv"):
    return {"name": name, "mimeType": "text/csv", "buffer": ("\r\n".join(ROWS) + "\r\n").encode("gbk")}


def _upload(page, tab):
    page.select_option("#id_record_type", "contacts")
    page.set_input_files("#id_file", _gbk_file())
    with page.expect_navigation():
        page.click("#import-upload button[type=submit]")
    tab.settle()


def test_import_contacts_from_a_gbk_csv(new_tab, crm):
    from crm.contacts.models import Contact
    from crm.imports.models import ImportRun

    rep = crm.users["rep"]
    alice = crm.contacts[0]  # Alice Chen, already a contact of the rep
    alice.email = "alice@example.com"
    alice.save()
    before = Contact.objects.count()

    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/imports/")
    tab.screenshot("imports-list-desktop-en")
    _upload(page, tab)
    tab.assert_clean("upload")
    # Suggested from the Chinese column names.
    assert page.input_value("select[name=col_0]") == "name"
    assert page.input_value("select[name=col_1]") == "phone"
    assert page.input_value("select[name=col_2]") == "email"
    assert page.input_value("select[name=col_4]") == "birthday"
    expect(page.locator(".page-head + .import-steps + p")).to_contain_text("GB18030")
    page.select_option("#id_match_rule", "upsert")
    page.select_option("#id_match_on", "email")
    tab.screenshot("imports-mapping-desktop-en")
    with page.expect_navigation():
        page.click("#show-preview")
    tab.settle()
    tab.assert_clean("preview")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("+8613800138000")  # cleaned as the form would
    expect(preview).to_contain_text("wang.fang@example.com")
    expect(preview).to_contain_text("+8613900139000")  # full-width digits
    expect(preview).to_contain_text("1 row has errors")
    bad = preview.locator("tr.failed")
    expect(bad).to_contain_text("not a valid phone number")
    expect(bad).to_contain_text("not a valid e-mail address")
    expect(bad).to_contain_text("not a date")
    expect(preview.locator("tr.updated")).to_contain_text("alice@example.com")
    tab.screenshot("imports-preview-desktop-en")
    assert Contact.objects.count() == before  # the preview saved nothing

    with page.expect_navigation():
        page.click("#start-import")
    tab.settle()
    tab.assert_clean("start")
    run = ImportRun.objects.get()
    expect(page.locator("#import-progress .badge")).to_have_text("Finished")
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-updated")).to_have_text("1")
    expect(page.locator("#count-failed")).to_have_text("1")
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#row-errors")).to_contain_text("Phone")
    tab.screenshot("imports-done-desktop-en")
    wang = Contact.objects.get(email="wang.fang@example.com")
    assert wang.phone == "+8613800138000" and str(wang.birthday) == "1990-05-01" and wang.owner == rep
    alice.refresh_from_db()
    assert alice.title == "CTO" and alice.phone == "+8613700137000"

    # The refused rows as a CSV, with the reason.
    tab.watch.downloads.append(re.compile(r"/imports/\d+/errors/"))
    with page.expect_download() as info:
        page.click("#download-errors")
    from pathlib import Path

    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "Bad Phone" in text and "not a valid phone number" in text

    # A reload shows the same state (the run, not the browser, holds it).
    tab.open(f"/imports/{run.pk}/")
    expect(page.locator("#count-created")).to_have_text("2")
    tab.open("/imports/")
    expect(page.locator("#import-history")).to_contain_text("客户.csv")
    expect(page.locator("#import-history")).to_contain_text("Finished")

    # 360 px in Chinese: the history, the finished run, and a new upload's mapping and preview.
    phone = new_tab(PHONE)
    ppage = phone.page
    phone.login(rep.username, crm.password)
    phone.open("/imports/")
    phone.switch_language("zh-hans")
    expect(ppage.locator("h1")).to_have_text("导入")
    expect(ppage.locator("#import-history")).to_contain_text("已完成")
    phone.assert_fits_width()
    phone.screenshot("imports-list-phone-zh")
    phone.open(f"/imports/{run.pk}/")
    expect(ppage.locator("#import-progress")).to_contain_text("新建")
    # Field names follow the reader's language; the messages were stored in the language the import ran in.
    expect(ppage.locator("#row-errors")).to_contain_text("被拒绝的行")
    expect(ppage.locator("#row-errors")).to_contain_text("电话")
    phone.assert_fits_width()
    phone.screenshot("imports-done-phone-zh")
    phone.open("/imports/")
    _upload(ppage, phone)
    expect(ppage.locator("#import-mapping")).to_contain_text("文件中的列")
    phone.assert_fits_width()
    phone.screenshot("imports-mapping-phone-zh")
    with ppage.expect_navigation():
        ppage.click("#show-preview")
    phone.settle()
    expect(ppage.locator("#preview")).to_contain_text("行有错误")
    phone.assert_fits_width()
    phone.screenshot("imports-preview-phone-zh")

    phone.switch_language("en")  # the choice is kept with the user: back to English for the desktop

    # Undo on the desktop: what it created is gone, Alice's old values are back.
    tab.open(f"/imports/{run.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#undo-import")
    tab.settle()
    tab.assert_clean("undo")
    expect(page.locator(".messages")).to_contain_text("Import undone: 2 records deleted, 1 restored.")
    expect(page.locator("#import-progress .badge")).to_have_text("Undone")
    tab.screenshot("imports-undone-desktop-en")
    assert not Contact.objects.filter(email="wang.fang@example.com").exists()
    alice.refresh_from_db()
    assert alice.phone == "" and alice.title == "CTO"
    assert Contact.objects.count() == before
