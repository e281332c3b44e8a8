"""The private calendar feed: the link (hashed, one per user, new link revokes the old,
turn off), and the iCalendar it serves, parsed back with icalendar."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities.models import Activity
from crm.agenda import selectors, services
from crm.agenda.models import CalendarFeed

from .factories import at, meeting, task, today

pytestmark = pytest.mark.django_db


def _url(key):
    return reverse("agenda:feed", args=[key])


def _parse(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _events(cal):
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_key_is_stored_only_as_a_hash_and_a_new_link_revokes_the_old(users, client):
    feed, key = services.feed_create(user=users.owner)
    assert key.startswith("cal_") and len(key) > 40
    assert feed.key_hash == CalendarFeed.hash_key(key) and key not in feed.key_hash and feed.prefix == key[:12]
    assert client.get(_url(key)).status_code == 200
    _feed2, key2 = services.feed_create(user=users.owner)
    assert CalendarFeed.objects.filter(user=users.owner).count() == 1
    assert client.get(_url(key)).status_code == 404
    assert client.get(_url(key2)).status_code == 200
    services.feed_revoke(user=users.owner)
    assert client.get(_url(key2)).status_code == 404
    assert client.get(_url("cal_unknown")).status_code == 404
    from crm.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="permission", object_id=str(users.owner.pk)).count() == 3


def test_inactive_user_feed_is_404(users, client):
    _feed, key = services.feed_create(user=users.owner)
    users.owner.is_active = False
    users.owner.save()
    assert client.get(_url(key)).status_code == 404


def test_feed_content(users, client, settings):
    settings.ALLOWED_HOSTS = ["crm.example.com", "testserver"]
    me = users.owner
    me.full_name = "王芳"
    me.time_zone = "Asia/Shanghai"
    me.save()
    day = today()
    talk = meeting(
        me,
        at(day + datetime.timedelta(days=2), 14, 30),
        minutes=45,
        subject="季度回顾, Q3; review",
        place="上海市浦东新区, 3楼; A室",
        body="<p>议程：价格\n第二行</p>",
    )
    todo = task(me, at(day + datetime.timedelta(days=1), 9), subject="寄送合同")
    done = task(me, at(day, 9), subject="Done already")
    Activity.objects.filter(pk=done.pk).update(done=True)
    note = Activity.objects.create(owner=me, kind="note", subject="A note", company=talk.company)
    old = meeting(me, at(day - datetime.timedelta(days=90), 10), subject="Too old")
    deleted = meeting(me, at(day, 10), subject="Deleted")
    Activity.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    teammates = meeting(users.teammate, at(day, 11), subject="Teammate's meeting")
    if selectors.has_field(Activity, "remind_minutes_before"):
        Activity.objects.filter(pk=talk.pk).update(remind_minutes_before=15)
    _feed, key = services.feed_create(user=me)
    response = client.get(_url(key), HTTP_HOST="crm.example.com")
    cal = _parse(response)
    assert str(cal["PRODID"]) and str(cal["VERSION"]) == "2.0" and str(cal["CALSCALE"]) == "GREGORIAN"
    assert "王芳" in str(cal["X-WR-CALNAME"]) and str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    events = _events(cal)
    assert set(events) == {f"activity-{talk.pk}@crm.example.com", f"activity-{todo.pk}@crm.example.com"}
    for absent in (done, note, old, deleted, teammates):
        assert f"activity-{absent.pk}@crm.example.com" not in events
    event = events[f"activity-{talk.pk}@crm.example.com"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == datetime.timedelta(0) and start == talk.occurred_at
    assert end - start == datetime.timedelta(minutes=45)
    assert b"DTSTART:" in response.content and b"Z\r\n" in response.content  # written in UTC
    # Commas, semicolons and newlines are escaped on the way out and come back intact.
    assert str(event["SUMMARY"]) == "季度回顾, Q3; review"
    assert str(event["LOCATION"]) == "上海市浦东新区, 3楼; A室"
    assert "季度回顾\\, Q3\\; review" in response.content.decode()
    description = str(event["DESCRIPTION"])
    assert "议程：价格\n第二行" in description and "<p>" not in description
    assert f"http://crm.example.com{talk.get_absolute_url()}" in description
    assert int(event["SEQUENCE"]) == talk.version
    assert event.decoded("LAST-MODIFIED") == talk.updated_at.replace(microsecond=0)
    assert "DTSTAMP" in event
    if selectors.has_field(Activity, "remind_minutes_before"):
        alarms = list(event.walk("VALARM"))
        assert len(alarms) == 1 and alarms[0].decoded("TRIGGER") == datetime.timedelta(minutes=-15)
    task_event = events[f"activity-{todo.pk}@crm.example.com"]
    assert task_event.decoded("DTSTART") == todo.due_at and "寄送合同" in str(task_event["SUMMARY"])
    assert not list(task_event.walk("VALARM")) or selectors.has_field(Activity, "remind_minutes_before")
    # Long lines are folded at 75 octets by the library.
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))


def test_feed_attendees_and_attended_meetings(users, client):
    if not selectors.has_field(Activity, "attendee_users"):
        pytest.skip("activities have no attendees yet")
    users.teammate.email = "teammate@example.com"
    users.teammate.save()
    mine = meeting(users.owner, at(today(), 10))
    mine.attendee_users.add(users.teammate)
    invited = meeting(users.teammate, at(today(), 15), subject="Invited")
    invited.attendee_users.add(users.owner)
    hidden = meeting(users.outsider, at(today(), 15), subject="Outsider's")
    hidden.attendee_users.add(users.owner)
    _feed, key = services.feed_create(user=users.owner)
    events = _events(_parse(client.get(_url(key))))
    uids = {uid.split("@")[0] for uid in events}
    assert uids == {f"activity-{mine.pk}", f"activity-{invited.pk}"}
    event = next(e for uid, e in events.items() if uid.startswith(f"activity-{mine.pk}@"))
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert "mailto:teammate@example.com" in [str(a) for a in attendees]


def test_conditional_get_gives_304_until_something_changes(users, client):
    talk = meeting(users.owner, at(today(), 10))
    _feed, key = services.feed_create(user=users.owner)
    first = client.get(_url(key))
    etag = first["ETag"]
    assert etag and first["Last-Modified"] and "no-cache" in first["Cache-Control"]
    again = client.get(_url(key), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    talk.subject = "Renamed"
    talk.version += 1
    talk.save()
    changed = client.get(_url(key), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and b"Renamed" in changed.content
    Activity.objects.filter(pk=talk.pk).update(deleted_at=timezone.now())
    assert client.get(_url(key), HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


def test_last_used_is_recorded(users, client):
    feed, key = services.feed_create(user=users.owner)
    assert feed.last_used_at is None
    client.get(_url(key))
    feed.refresh_from_db()
    assert feed.last_used_at is not None


def test_feed_count_is_capped(users, client, monkeypatch):
    monkeypatch.setattr(selectors, "FEED_MAX_EVENTS", 3)
    for hour in range(8, 13):
        meeting(users.owner, at(today() + datetime.timedelta(days=1), hour))
    _feed, key = services.feed_create(user=users.owner)
    assert len(list(_parse(client.get(_url(key))).walk("VEVENT"))) == 3


def test_calendar_page_feed_panel(users, client_for):
    client = client_for(users.owner)
    page = client.get("/calendar/").content.decode()
    assert "Subscribe in your phone" in page and "Make my calendar link" in page
    made = client.post(reverse("agenda:feed_new"), HTTP_HX_REQUEST="true").content.decode()
    feed = CalendarFeed.objects.get(user=users.owner)
    assert "/calendar/feed/cal_" in made and feed.prefix in made and "webcal://" in made
    url = made.split('value="', 1)[1].split('"', 1)[0]
    assert client.get(url.replace("http://testserver", "")).status_code == 200
    # Later the page names the link by its prefix but cannot show it again.
    later = client.get("/calendar/").content.decode()
    assert feed.prefix in later and "/calendar/feed/cal_" not in later and "New link" in later
    off = client.post(reverse("agenda:feed_off"), HTTP_HX_REQUEST="true").content.decode()
    assert "The feed is off." in off and not CalendarFeed.objects.exists()
    assert client.post(reverse("agenda:feed_new")).status_code == 200  # without HTMX: the whole page


def test_api_feed(users, api_for, client):
    api = api_for(users.owner)
    assert api.get("/api/v1/calendar/feed/").json() == {
        "active": False,
        "prefix": None,
        "created_at": None,
        "last_used_at": None,
        "url": None,
    }
    made = api.post("/api/v1/calendar/feed/")
    assert made.status_code == 201
    url = made.json()["url"]
    assert url.startswith("http://testserver/calendar/feed/cal_") and url.endswith(".ics")
    assert client.get(url.replace("http://testserver", "")).status_code == 200
    state = api.get("/api/v1/calendar/feed/").json()
    assert state["active"] is True and state["url"] is None and url.split("/")[-1].startswith(state["prefix"])
    assert api.delete("/api/v1/calendar/feed/").status_code == 204
    assert client.get(url.replace("http://testserver", "")).status_code == 404
    assert api.get("/api/v1/calendar/feed/").json()["active"] is False
