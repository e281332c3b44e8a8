"""The agenda through a real browser: a rep marks an overdue task done on My day, drags
a meeting to another day on the calendar's week view, makes the private calendar link
and fetches it. Desktop in English, 360 px in Chinese."""

from __future__ import annotations

import datetime
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def _shanghai(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    import zoneinfo

    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def drag(page, source, target) -> None:
    """Drag with real mouse moves, as a person does (SortableJS follows the pointer)."""
    box = source.bounding_box()
    end = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 15, y + 15, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()


@pytest.fixture
def agenda(crm):
    """The rep's day in Asia/Shanghai: an overdue task, a task and a meeting today, a
    meeting on Monday of this week, a lead nobody touched."""
    from django.utils import timezone

    from crm.activities.models import Activity
    from crm.leads.models import Lead
    from crm.leads.tests.factories import LeadFactory

    rep = crm.users["rep"]
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    company = crm.companies[0]
    today = timezone.localdate(timezone.now(), timezone=datetime.timezone(datetime.timedelta(hours=8)))
    monday = today - datetime.timedelta(days=today.weekday())
    common = {"owner": rep, "company": company}
    overdue = Activity.objects.create(
        kind="task",
        subject="发送报价单 Send the quote",
        due_at=_shanghai(today - datetime.timedelta(days=2), 10),
        **common,
    )
    Activity.objects.create(kind="task", subject="Call Alice back", due_at=_shanghai(today, 16), **common)
    Activity.objects.create(
        kind="meeting",
        subject="季度回顾 Quarterly review",
        occurred_at=_shanghai(today, 9, 30),
        end_at=_shanghai(today, 10, 30),
        place="上海办公室",
        **common,
    )
    meeting = Activity.objects.create(
        kind="meeting",
        subject="Demo for Acme",
        occurred_at=_shanghai(monday, 14, 30),
        end_at=_shanghai(monday, 15, 15),
        **common,
    )
    lead = LeadFactory(owner=rep, name="Quiet lead 静默线索")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - datetime.timedelta(days=20))
    return {"rep": rep, "overdue": overdue, "meeting": meeting, "today": today, "monday": monday}


def test_my_day_mark_an_overdue_task_done(new_tab, crm, agenda):
    rep, overdue = agenda["rep"], agenda["overdue"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    expect(page.locator("#sidebar a").first).to_have_text("Dashboard")
    expect(page.locator("#sidebar a").nth(1)).to_have_text("My day")
    tab.open("/my-day/")
    overdue_section = page.locator("#section-overdue")
    expect(overdue_section).to_contain_text("发送报价单 Send the quote")
    expect(overdue_section.locator(".count")).to_have_text("1")
    expect(page.locator("#section-today")).to_contain_text("季度回顾 Quarterly review")
    expect(page.locator("#section-untouched_leads")).to_contain_text("Quiet lead")
    tab.screenshot("agenda-my-day-desktop-en")
    overdue_section.locator("summary:has-text('follow-up')").click()
    overdue_section.locator("input[name=follow_up_subject]").fill("Check the quote was read")
    overdue_section.locator("button:has-text('Done and add the next task')").click()
    tab.settle()
    expect(page.locator("#my-day-sections .messages")).to_contain_text("is done")
    expect(page.locator("#section-overdue .count")).to_have_text("0")
    tab.assert_clean("mark done")
    overdue.refresh_from_db()
    assert overdue.done
    from crm.activities.models import Activity

    assert Activity.objects.filter(subject="Check the quote was read", kind="task", done=False).exists()
    tab.screenshot("agenda-my-day-done-desktop-en")

    phone = new_tab(PHONE)
    phone.login(rep.username, crm.password)
    phone.open("/my-day/")
    phone.switch_language("zh-hans")
    expect(phone.page.locator("h1")).to_have_text("我的一天")
    expect(phone.page.locator("#section-today")).to_contain_text("季度回顾")
    phone.assert_fits_width()
    phone.screenshot("agenda-my-day-phone-zh")
    phone.switch_language("en")


def test_calendar_drag_a_meeting_to_another_day(new_tab, crm, agenda):
    rep, meeting, monday = agenda["rep"], agenda["meeting"], agenda["monday"]
    thursday = monday + datetime.timedelta(days=3)
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(f"/calendar/?view=week&date={monday.isoformat()}")
    item = page.locator(f'.cal-item[data-id="{meeting.pk}"]')
    expect(item).to_be_visible()
    tab.screenshot("agenda-calendar-week-desktop-en")
    drag(page, item, page.locator(f'.cal-items[data-date="{thursday.isoformat()}"]'))
    expect(page.locator("#calendar-message")).to_contain_text("moved to")
    tab.settle()
    tab.assert_clean("drag the meeting")
    on_thursday = f'.cal-items[data-date="{thursday.isoformat()}"] .cal-item[data-id="{meeting.pk}"]'
    expect(page.locator(on_thursday)).to_be_visible()
    meeting.refresh_from_db()
    import zoneinfo

    start = meeting.occurred_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert start.date() == thursday and (start.hour, start.minute) == (14, 30)
    assert meeting.end_at - meeting.occurred_at == datetime.timedelta(minutes=45)
    assert meeting.version == 2

    # A stale version is refused: the item goes back and the message says why.
    from crm.activities.models import Activity

    Activity.objects.filter(pk=meeting.pk).update(version=5)
    tab.watch.expect_status(409, r"/calendar/events/\d+/move/")
    drag(page, item, page.locator(f'.cal-items[data-date="{monday.isoformat()}"]'))
    expect(page.locator("#calendar-message .error")).to_contain_text("Someone else changed this item")
    tab.settle()
    expect(page.locator(on_thursday)).to_be_visible()
    tab.assert_clean("refused move")

    # Previous / next without a full reload; the address keeps the view and the date.
    page.click("a[data-cal-nav]:has-text('Next')")
    tab.settle()
    next_monday = monday + datetime.timedelta(days=7)
    assert f"date={next_monday.isoformat()}" in page.url and "view=week" in page.url
    expect(page.locator(f'.cal-items[data-date="{next_monday.isoformat()}"]')).to_have_count(1)
    page.click(".calendar-views a:has-text('Month')")
    tab.settle()
    assert "view=month" in page.url
    tab.screenshot("agenda-calendar-month-desktop-en")

    # The private link: make it, see it once, fetch it.
    page.click("[data-feed-new]")
    tab.settle()
    url = page.input_value("[data-feed-url]")
    assert "/calendar/feed/cal_" in url and url.endswith(".ics")
    page.evaluate("window.scrollTo(0, 0)")
    tab.screenshot("agenda-calendar-feed-desktop-en")
    import icalendar

    body = urlopen(url).read()  # noqa: S310 - the live server's own address
    events = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert any(str(e["UID"]).startswith(f"activity-{meeting.pk}@") for e in events)

    phone = new_tab(PHONE)
    phone.login(rep.username, crm.password)
    phone.open(f"/calendar/?view=week&date={monday.isoformat()}")
    phone.switch_language("zh-hans")
    expect(phone.page.locator("h1")).to_have_text("日历")
    phone.assert_fits_width()
    phone.screenshot("agenda-calendar-phone-zh")
    # On a phone the list has a date field per item instead of dragging.
    date_input = phone.page.locator(f'.cal-item[data-id="{meeting.pk}"] input[type=date]')
    expect(date_input).to_be_visible()
    Activity.objects.filter(pk=meeting.pk).update(version=2)
    phone.page.reload()
    phone.settle()
    friday = monday + datetime.timedelta(days=4)
    phone.page.locator(f'.cal-item[data-id="{meeting.pk}"] input[type=date]').fill(friday.isoformat())  # fires "change"
    expect(phone.page.locator("#calendar-message .success")).to_be_visible()
    phone.settle()
    meeting.refresh_from_db()
    assert meeting.occurred_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date() == friday
    phone.assert_clean("move on the phone")
    expect(
        phone.page.locator(f'.cal-items[data-date="{friday.isoformat()}"] .cal-item[data-id="{meeting.pk}"]')
    ).to_be_visible()
    phone.screenshot("agenda-calendar-moved-phone-zh")
    phone.switch_language("en")
