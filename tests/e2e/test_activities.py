"""Activities through a real browser: from a company's page a rep logs a call with its
next step and sees both on the company's timeline, then marks the task done with a
follow-up. Desktop in English, 360 px in Chinese."""

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
    # Only the call's fields are shown; the meeting's and the task's are hidden.
    expect(page.locator("#id_place")).to_be_hidden()
    expect(page.locator("#id_due_at")).to_be_hidden()
    expect(page.locator("#id_outcome")).to_be_visible()
    page.fill("#id_next_step_subject", "Send the quote 发送报价")
    page.fill("#id_next_step_due", "2030-01-10T10:00")
    tab.screenshot("activities-form-desktop-en")
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Save')")
    tab.settle()
    tab.assert_clean("save the call")
    activity = Activity.objects.get(subject="Renewal call with Alice <b>2027</b>")
    assert activity.company == company and activity.kind == "call" and activity.owner == rep
    assert activity.duration_minutes == 25 and activity.direction == "out"
    expect(page.locator(".activity-body")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("dl.props")).not_to_contain_text("Place")
    task = Activity.objects.get(subject="Send the quote 发送报价")
    assert task.kind == "task" and task.company == company and not task.done and task.due_at.year == 2030

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

    # The open task: marked done from its page, with the follow-up task.
    phone.open(task.get_absolute_url())
    phone.assert_fits_width()
    phone.screenshot("activities-task-phone-zh")
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('标记完成')")
    phone.settle()
    page.fill("#id_follow_up_subject", "确认报价反馈 Check the quote feedback")
    page.fill("#id_follow_up_due", "2030-01-17T10:00")
    phone.assert_fits_width()
    phone.screenshot("activities-complete-phone-zh")
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('标记完成')")
    phone.settle()
    phone.assert_clean("complete the task")
    task.refresh_from_db()
    assert task.done and task.done_at is not None
    follow_up = Activity.objects.get(subject="确认报价反馈 Check the quote feedback")
    assert follow_up.kind == "task" and follow_up.company == company and not follow_up.done
    assert page.url.endswith(follow_up.get_absolute_url())
    phone.switch_language("en")


def test_plan_a_meeting_with_attendees_and_a_reminder(new_tab, crm):
    from crm.activities.models import Activity

    rep = crm.users["rep"]
    company = crm.companies[0]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(f"/activities/activities/new/?company={company.pk}&kind=meeting")
    expect(page.locator("#id_place")).to_be_visible()
    expect(page.locator("#id_direction")).to_be_hidden()
    page.fill("#id_subject", "方案评审 Proposal review")
    page.fill("#id_occurred_at", "2030-02-03T10:00")
    page.fill("#id_end_at", "2030-02-03T11:30")
    page.fill("#id_place", "客户会议室 Customer office")
    page.select_option("#id_remind_minutes_before", "15")
    # Attendees are typed and picked, not chosen from a list of every contact.
    page.fill("#id_attendee_contacts", "Alice")
    page.click(".picker-option:has-text('Alice Chen')")
    expect(page.locator(".picker-chip")).to_contain_text("Alice Chen")
    tab.screenshot("activities-meeting-form-desktop-en")
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Save')")
    tab.settle()
    tab.assert_clean("save the meeting")
    meeting = Activity.objects.get(subject="方案评审 Proposal review")
    assert meeting.kind == "meeting" and meeting.remind_minutes_before == 15 and meeting.remind_at is not None
    assert list(meeting.attendee_contacts.values_list("name", flat=True)) == ["Alice Chen"]
    expect(page.locator("main")).to_contain_text("Alice Chen")
    expect(page.locator("dl.props")).not_to_contain_text("Duration")
    tab.screenshot("activities-meeting-desktop-en")
