"""The calendar: week and month grids, whose items, moving an item (keeps the time of
day and a meeting's duration, checks the version and the write scope), the API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities.models import Activity
from crm.agenda import selectors

from .factories import at, meeting, task, today

pytestmark = pytest.mark.django_db
URL = "/calendar/"


def _monday(day):
    return day - datetime.timedelta(days=day.weekday())


def test_week_view_shows_my_meetings_and_tasks_and_keeps_the_date_in_the_url(users, client_for):
    monday = _monday(today())
    wed = monday + datetime.timedelta(days=2)
    standup = meeting(users.owner, at(wed, 9, 30), subject="站会 Stand-up")
    task(users.owner, at(monday, 16), subject="Quote, v2; final")
    done = task(users.owner, at(monday, 8), subject="Done one")
    Activity.objects.filter(pk=done.pk).update(done=True)
    next_week = meeting(users.owner, at(monday + datetime.timedelta(days=8), 9), subject="Next week")
    theirs = meeting(users.teammate, at(wed, 9), subject="Teammate's")
    client = client_for(users.owner)
    page = client.get(URL, {"view": "week", "date": wed.isoformat()}).content.decode()
    assert "站会 Stand-up" in page and "Quote, v2; final" in page and "<s>Done one</s>" in page
    assert "Next week" not in page and "Teammate" not in page
    assert f'data-date="{monday.isoformat()}"' in page and 'data-calendar data-view="week"' in page
    # Only what the rep may change is draggable; a done task is not.
    assert f'data-move-url="{reverse("agenda:event_move", args=[standup.pk])}"' in page
    assert reverse("agenda:event_move", args=[done.pk]) not in page
    # Previous / next keep the view and move a week.
    assert f"view=week&amp;date={(wed - datetime.timedelta(days=7)).isoformat()}" in page
    fragment = client.get(
        URL, {"view": "week", "date": wed.isoformat()}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar"
    ).content.decode()
    assert "<html" not in fragment and "站会 Stand-up" in fragment and "feed-panel" not in fragment
    team = client.get(URL, {"view": "week", "date": wed.isoformat(), "team": "1"}).content.decode()
    assert "Teammate&#x27;s" in team
    assert reverse("agenda:event_move", args=[theirs.pk]) not in team  # readable, not changeable
    assert next_week.pk


def test_month_view_has_whole_weeks_and_bad_input_falls_back(users, client_for):
    client = client_for(users.owner)
    start, end, prev, nxt = __import__("crm.agenda.views", fromlist=["x"]).calendar_range(
        "month", datetime.date(2026, 2, 11)
    )
    assert start == datetime.date(2026, 1, 26) and end == datetime.date(2026, 3, 2)
    assert prev == datetime.date(2026, 1, 1) and nxt == datetime.date(2026, 3, 1)
    meeting(users.owner, at(datetime.date(2026, 2, 27), 10), subject="February review")
    page = client.get(URL, {"view": "month", "date": "2026-02-11"}).content.decode()
    assert "February review" in page and "calendar-month" in page
    assert client.get(URL, {"view": "year", "date": "not-a-date"}).status_code == 200
    assert client.get(URL, {"user": users.outsider.pk}).status_code == 404


def test_calendar_includes_meetings_i_attend_when_activities_have_attendees(users):
    if not selectors.has_field(Activity, "attendee_users"):
        pytest.skip("activities have no attendees yet")
    monday = _monday(today())
    invited = meeting(users.teammate, at(monday, 11), subject="Invited")
    invited.attendee_users.add(users.owner)
    hidden = meeting(users.outsider, at(monday, 11), subject="Not visible")
    hidden.attendee_users.add(users.owner)
    who = selectors.resolve_who(users.owner)
    events, _capped = selectors.calendar_events(who, monday, monday + datetime.timedelta(days=7))
    assert [e.pk for e in events] == [invited.pk]


def _move(client, activity, day, version=None, **extra):
    return client.post(
        reverse("agenda:event_move", args=[activity.pk]),
        {"date": day, "version": activity.version if version is None else version},
        **extra,
    )


def test_moving_a_meeting_keeps_its_time_of_day_and_duration(users, client_for):
    monday = _monday(today())
    talk = meeting(users.owner, at(monday, 14, 30), minutes=90)
    response = _move(client_for(users.owner), talk, (monday + datetime.timedelta(days=3)).isoformat())
    assert response.status_code == 200, response.content
    talk.refresh_from_db()
    start = timezone.localtime(talk.occurred_at)
    assert start.date() == monday + datetime.timedelta(days=3) and (start.hour, start.minute) == (14, 30)
    assert talk.end_at - talk.occurred_at == datetime.timedelta(minutes=90)
    assert response.json()["version"] == talk.version == 2
    from crm.audit.models import AuditEntry

    assert AuditEntry.objects.filter(object_id=str(talk.pk), action="update").exists()


def test_moving_a_task_moves_its_due_time(users, client_for):
    monday = _monday(today())
    todo = task(users.owner, at(monday, 9, 15))
    assert _move(client_for(users.owner), todo, "2030-05-06").status_code == 200
    todo.refresh_from_db()
    assert timezone.localtime(todo.due_at).replace(tzinfo=None) == datetime.datetime(2030, 5, 6, 9, 15)


def test_refused_moves_are_translated_and_change_nothing(users, client_for):
    monday = _monday(today())
    mine = meeting(users.owner, at(monday, 10))
    teammates = meeting(users.teammate, at(monday, 10))
    outsiders = meeting(users.outsider, at(monday, 10))
    done = task(users.owner, at(monday, 10))
    Activity.objects.filter(pk=done.pk).update(done=True)
    done.refresh_from_db()
    client = client_for(users.owner)
    stale = _move(client, mine, "2030-01-01", version=mine.version + 3)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assert _move(client, teammates, "2030-01-01").status_code == 403
    assert _move(client, outsiders, "2030-01-01").status_code == 404
    bad = _move(client, mine, "31/12/2030")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]
    assert _move(client, mine, "2030-01-01", version="abc").status_code == 400
    assert _move(client, done, "2030-01-01").status_code == 400
    zh = _move(client, mine, "2030-13-01", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["error"]["message"])
    for activity in (mine, teammates, outsiders):
        before = activity.occurred_at
        activity.refresh_from_db()
        assert activity.occurred_at == before and activity.version == 1
    # The manager may change the rep's meeting.
    assert _move(client_for(users.manager), mine, "2030-01-01").status_code == 200


def test_api_events_and_move(users, api_for):
    monday = _monday(today())
    talk = meeting(users.owner, at(monday, 10), subject="API meeting")
    todo = task(users.owner, at(monday, 12), subject="API task")
    api = api_for(users.owner)
    start, end = monday.isoformat(), (monday + datetime.timedelta(days=7)).isoformat()
    data = api.get("/api/v1/calendar/events/", {"start": start, "end": end}).json()
    assert [e["id"] for e in data["results"]] == [talk.pk, todo.pk]
    first = data["results"][0]
    assert first["kind"] == "meeting" and first["end"] and first["can_move"] is True
    assert api.get("/api/v1/calendar/events/", {"start": "x", "end": end}).status_code == 400
    too_long = api.get("/api/v1/calendar/events/", {"start": "2026-01-01", "end": "2026-04-01"})
    assert too_long.status_code == 400 and "62" in too_long.json()["error"]["fields"]["end"][0]
    assert api.get("/api/v1/calendar/events/", {"start": end, "end": start}).status_code == 400
    assert api.get("/api/v1/calendar/events/").status_code == 400
    manager = api_for(users.manager).get("/api/v1/calendar/events/", {"start": start, "end": end, "team": 1})
    assert {e["id"] for e in manager.json()["results"]} == {talk.pk, todo.pk}

    moved = api.post(
        f"/api/v1/calendar/events/{talk.pk}/move/", {"start": "2030-03-04T08:00:00Z", "version": 1}, format="json"
    )
    assert moved.status_code == 200, moved.content
    talk.refresh_from_db()
    assert talk.occurred_at == datetime.datetime(2030, 3, 4, 8, tzinfo=datetime.UTC)
    assert talk.end_at == talk.occurred_at + datetime.timedelta(hours=1)
    stale = api.post(
        f"/api/v1/calendar/events/{talk.pk}/move/", {"date": "2030-03-05"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 409
    by_day = api.post(f"/api/v1/calendar/events/{todo.pk}/move/", {"date": "2030-03-05"}, format="json")
    assert by_day.status_code == 200
    both = api.post(
        f"/api/v1/calendar/events/{todo.pk}/move/",
        {"date": "2030-03-05", "start": "2030-03-05T01:00:00Z"},
        format="json",
    )
    assert both.status_code == 400
    hidden = meeting(users.outsider, at(monday, 10))
    assert (
        api.post(f"/api/v1/calendar/events/{hidden.pk}/move/", {"date": "2030-03-05"}, format="json").status_code == 404
    )
