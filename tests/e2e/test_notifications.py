"""The notification centre through a real browser: a rep's due reminders arrive in the
bell, one is marked read with HTMX, another is opened (and read) on its activity's
page, then all are marked read on a phone in Chinese. Desktop in English, 360 px in
Chinese."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def test_reminders_reach_the_bell_and_the_notification_centre(new_tab, crm):
    from django.utils import timezone

    from crm.activities.reminders import send_due_reminders
    from crm.activities.services import activity_create
    from crm.notifications.models import Notification

    rep = crm.users["rep"]
    company = crm.companies[0]
    soon = timezone.now() + datetime.timedelta(minutes=10)
    activities = [
        activity_create(
            actor=rep,
            data={
                "kind": "meeting",
                "subject": "季度回顾 Quarterly review with Acme Robotics and its whole purchasing department",
                "occurred_at": soon,
                "place": "上海市浦东新区世纪大道 100 号",
                "remind_minutes_before": 15,
                "company": company,
            },
        ),
        activity_create(
            actor=rep,
            data={
                "kind": "task",
                "subject": "Send the quote 发送报价",
                "due_at": soon,
                "remind_minutes_before": 30,
                "company": company,
            },
        ),
        activity_create(
            actor=rep,
            data={
                "kind": "task",
                "subject": "Call back 回电",
                "due_at": soon,
                "remind_minutes_before": 60,
                "company": company,
            },
        ),
    ]
    assert send_due_reminders()["reminders"] == 3

    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    expect(page.locator("#notification-bell .bell-count")).to_have_text("3")
    with page.expect_navigation():
        page.click("#notification-bell")
    tab.settle()
    expect(page.locator(".notification.unread")).to_have_count(3)
    expect(page.locator(".notifications")).to_contain_text("Meeting: 季度回顾 Quarterly review")
    tab.screenshot("notifications-list-desktop-en")

    # Mark one read in place (HTMX): the item and the bell change without a reload.
    call_back = Notification.objects.get(title__contains="Call back")
    page.click(f"#notification-{call_back.pk} button:has-text('Mark read')")
    expect(page.locator(f"#notification-{call_back.pk}")).not_to_have_class("notification unread")
    expect(page.locator("#notification-bell .bell-count")).to_have_text("2")
    tab.assert_clean("mark one read")

    # Opening one marks it read and goes to its activity.
    quote = Notification.objects.get(title__contains="Send the quote")
    with page.expect_navigation():
        page.click(f"#notification-{quote.pk} .notification-main")
    tab.settle()
    assert page.url.endswith(activities[1].get_absolute_url())
    expect(page.locator("#notification-bell .bell-count")).to_have_text("1")
    quote.refresh_from_db()
    assert quote.read_at is not None

    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.switch_language("zh-hans")  # kept in the rep's profile: the next reminders come in Chinese
    activity_create(
        actor=rep,
        data={
            "kind": "meeting",
            "subject": "客户拜访 Visit",
            "occurred_at": soon,
            "place": "北京",
            "remind_minutes_before": 20,
            "company": company,
        },
    )
    assert send_due_reminders()["reminders"] == 1
    phone.open("/notifications/")
    expect(page.locator(".page-head h1")).to_have_text("通知")
    expect(page.locator("#notification-bell .bell-count")).to_have_text("2")
    expect(page.locator(".notification.unread").first).to_contain_text("会议：客户拜访 Visit")
    expect(page.locator(".notification.unread").first).to_contain_text("地点：北京")
    phone.assert_fits_width()
    phone.screenshot("notifications-list-phone-zh")
    page.click("button:has-text('全部标为已读')")
    expect(page.locator(".notification.unread")).to_have_count(0)
    expect(page.locator("#notification-bell .bell-count")).to_have_count(0)
    phone.assert_fits_width()
    phone.screenshot("notifications-read-phone-zh")
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
