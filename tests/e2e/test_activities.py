"""Activities through a real browser: from a company's page a rep logs a call and sees
it on the company's timeline. Desktop in English, 360 px in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def test_log_a_call_from_the_company_page(new_tab, crm):
    from crm.activities.models import Activity

    rep = crm.users["rep"]
    company = crm.companies[0]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(company.get_absolute_url())
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('Log a call')")
    tab.settle()
    assert page.input_value("#id_kind") == "call"
    page.fill("#id_subject", "Renewal call with Alice <b>2027</b>")
    page.select_option("#id_direction", "out")
    page.fill("#id_duration_minutes", "25")
    page.fill("#id_body", "Wants a quote by Friday.\n<script>alert(1)</script>")
    tab.screenshot("activities-form-desktop-en")
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Save')")
    tab.settle()
    tab.assert_clean("save the call")
    activity = Activity.objects.get(subject="Renewal call with Alice <b>2027</b>")
    assert activity.company == company and activity.kind == "call" and activity.owner == rep
    assert activity.duration_minutes == 25 and activity.direction == "out"
    expect(page.locator("dl.props")).to_contain_text("<script>alert(1)</script>")

    tab.open(company.get_absolute_url())
    expect(page.locator("#history")).to_contain_text("Call: Renewal call with Alice <b>2027</b>")
    expect(page.locator(".cards")).to_contain_text("Last contact")
    tab.screenshot("activities-company-desktop-en")

    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.open(company.get_absolute_url())
    phone.switch_language("zh-hans")
    expect(page.locator("#history")).to_contain_text("电话：Renewal call with Alice")
    expect(page.locator(".cards")).to_contain_text("最近联系")
    expect(page.locator(".page-head .actions")).to_contain_text("记录通话")
    phone.assert_fits_width()
    phone.screenshot("activities-company-phone-zh")
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('添加备注')")
    phone.settle()
    assert page.input_value("#id_kind") == "note"
    phone.assert_fits_width()
    phone.screenshot("activities-form-phone-zh")
    phone.switch_language("en")
