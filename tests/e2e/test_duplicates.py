"""Duplicates through a real browser: the review page with likely pairs, merging one,
marking another "not a duplicate", and the warning on the new-contact form. Desktop in
English, 360 px in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def pairs(crm):
    from crm.contacts.tests.factories import ContactFactory
    from crm.duplicates import services
    from crm.duplicates.models import DuplicatePair

    rep = crm.users["rep"]
    acme = crm.companies[0]
    zw = ContactFactory(name="张伟", email="zw@acme.example.com", phone="+8613800138000", company=acme, owner=rep)
    zw2 = ContactFactory(name="Zhang Wei", email="ZW@acme.example.com", company=acme, owner=rep)
    pk1 = ContactFactory(name="Peter Klein", email="peter.klein@klein.example.de", owner=rep)
    pk2 = ContactFactory(name="Peter Klein", email="peter.klein@klein.example.de", owner=rep)
    services.duplicates_scan(kind="contact")
    merge_pair = DuplicatePair.objects.get(a_id=min(zw.pk, zw2.pk), b_id=max(zw.pk, zw2.pk))
    other_pair = DuplicatePair.objects.get(a_id=min(pk1.pk, pk2.pk), b_id=max(pk1.pk, pk2.pk))
    return {"merge": merge_pair, "other": other_pair, "zw": zw, "zw2": zw2}


def test_review_merge_and_not_a_duplicate(new_tab, crm, pairs):
    from crm.duplicates.models import DuplicatePair, PairStatus

    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/duplicates/")
    merge_card = page.locator(f"#pair-{pairs['merge'].pk}")
    other_card = page.locator(f"#pair-{pairs['other'].pk}")
    expect(merge_card).to_contain_text("Zhang Wei")
    expect(merge_card).to_contain_text("Same e-mail")
    expect(merge_card.locator("table.dup-compare")).to_contain_text("zw@acme.example.com")
    expect(other_card).to_contain_text("Peter Klein")
    tab.screenshot("duplicates-review-desktop-en")

    with page.expect_navigation():
        other_card.locator("button:has-text('Not a duplicate')").click()
    tab.settle()
    tab.assert_clean("not a duplicate")
    expect(page.locator(".messages")).to_contain_text("will not be proposed again")
    expect(page.locator(f"#pair-{pairs['other'].pk}")).to_have_count(0)
    assert DuplicatePair.objects.get(pk=pairs["other"].pk).status == PairStatus.NOT_DUPLICATE

    with page.expect_navigation():
        page.locator(f"#pair-{pairs['merge'].pk} a:has-text('Merge…')").click()
    tab.settle()
    expect(page.locator("#merge-form")).to_contain_text("Zhang Wei")
    tab.screenshot("duplicates-merge-desktop-en")
    with page.expect_navigation():
        page.click("#merge-form button[type=submit]:has-text('Merge')")
    tab.settle()
    tab.assert_clean("merge")
    assert DuplicatePair.objects.get(pk=pairs["merge"].pk).status == PairStatus.MERGED
    tab.open("/duplicates/")
    expect(page.locator("#dup-empty")).to_be_visible()

    # The decision is listed under its status and can be taken back.
    tab.open("/duplicates/?status=not_duplicate")
    expect(page.locator(f"#pair-{pairs['other'].pk}")).to_contain_text("Marked as not a duplicate")


def test_review_on_a_phone_in_chinese(new_tab, crm, pairs):
    phone = new_tab(PHONE)
    page = phone.page
    phone.login(crm.users["rep"].username, crm.password)
    phone.open("/duplicates/")
    phone.switch_language("zh-hans")
    expect(page.locator("h1")).to_have_text("重复记录")
    expect(page.locator(f"#pair-{pairs['merge'].pk}")).to_contain_text("邮箱相同")
    expect(page.locator(f"#pair-{pairs['merge'].pk}")).to_contain_text("不是重复")
    phone.assert_fits_width()
    phone.screenshot("duplicates-review-phone-zh")
    phone.resize({"width": 1280, "height": 900})
    phone.screenshot("duplicates-review-desktop-zh")


def test_the_contact_form_warns_before_saving_a_duplicate(new_tab, crm, pairs):
    from crm.contacts.models import Contact

    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/customers/contacts/new/")
    page.fill("#id_name", "Wei Zhang")
    page.fill("#id_email", "ZW@Acme.Example.com")
    before = Contact.objects.count()
    tab.watch.expect_status(400, r"/customers/contacts/new/")
    with page.expect_navigation():
        page.click("form .form-actions button[type=submit]:has-text('Save')")
    tab.settle()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("Possible duplicates")
    expect(warning.locator(f"a[href='{pairs['zw'].get_absolute_url()}']")).to_be_visible()
    expect(warning).to_contain_text("Same e-mail")
    assert Contact.objects.count() == before
    assert page.input_value("#id_name") == "Wei Zhang"  # the input is kept
    tab.screenshot("duplicates-contact-warning-desktop-en")
    with page.expect_navigation():
        page.click("#save-anyway")
    tab.settle()
    tab.assert_clean("save anyway")
    assert Contact.objects.count() == before + 1
    expect(page.locator("h1")).to_contain_text("Wei Zhang")

    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.open("/customers/contacts/new/")
    phone.switch_language("zh-hans")
    page.fill("#id_name", "张伟")
    page.fill("#id_phone", "138 0013 8000")
    phone.watch.expect_status(400, r"/customers/contacts/new/")
    with page.expect_navigation():
        page.click("form .form-actions button[type=submit]:has-text('保存')")
    phone.settle()
    expect(page.locator("#duplicate-warning")).to_contain_text("可能的重复记录")
    expect(page.locator("#duplicate-warning")).to_contain_text("电话相同")
    expect(page.locator("#save-anyway")).to_have_text("仍然保存")
    phone.assert_fits_width()
    phone.screenshot("duplicates-contact-warning-phone-zh")
