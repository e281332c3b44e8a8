"""My day: the five sections, whose day, the done button and its cost in queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.activities.models import Activity, ActivityKind
from crm.agenda import selectors
from crm.deals.tests.factories import DealFactory
from crm.leads.models import Lead
from crm.leads.tests.factories import LeadFactory

from .factories import at, meeting, task, today

pytestmark = pytest.mark.django_db
URL = "/my-day/"


def _ids(section):
    return [row.pk for row in section.rows]


def _sections(user, **kw):
    who = selectors.resolve_who(user, member=kw.pop("member", None), team=kw.pop("team", None))
    return {s.key: s for s in selectors.my_day(who, untouched_days=kw.pop("days", 7), now=kw.pop("now", None))}


def test_sections_sort_tasks_and_meetings_by_day_in_the_users_zone(users):
    me, day = users.owner, today()
    overdue = task(me, at(day - datetime.timedelta(days=2), 9))
    due_today = task(me, at(day, 23, 30))
    meet_today = meeting(me, at(day, 0, 15))
    tomorrow = task(me, at(day + datetime.timedelta(days=1), 8))
    in_seven = meeting(me, at(day + datetime.timedelta(days=7), 18))
    too_far = task(me, at(day + datetime.timedelta(days=8), 8))
    done = task(me, at(day - datetime.timedelta(days=3), 9))
    Activity.objects.filter(pk=done.pk).update(done=True)
    note = Activity.objects.create(
        owner=me, kind=ActivityKind.NOTE, subject="note", company=overdue.company, occurred_at=at(day, 10)
    )
    found = _sections(me)
    assert _ids(found["overdue"]) == [overdue.pk]
    assert _ids(found["today"]) == [meet_today.pk, due_today.pk]
    assert _ids(found["upcoming"]) == [tomorrow.pk, in_seven.pk]
    everything = {pk for s in found.values() for pk in _ids(s)}
    assert too_far.pk not in everything and done.pk not in everything and note.pk not in everything
    assert found["overdue"].count == 1 and found["today"].count == 2


def test_today_follows_the_time_zone(users):
    """At noon in Shanghai, a task due 23:30 Shanghai time is today there and in London,
    but tomorrow in Auckland (already the next morning there)."""
    me, day = users.owner, today()
    noon = at(day, 12)
    late = task(me, at(day, 23, 30))

    def where(zone):
        with timezone.override(zone):
            return {k for k, s in _sections(me, now=noon).items() if late.pk in _ids(s)}

    assert where("Asia/Shanghai") == {"today"}
    assert where("Europe/London") == {"today"}
    assert where("Pacific/Auckland") == {"upcoming"}


def test_untouched_leads_and_missed_next_steps(users):
    me, now = users.owner, timezone.now()
    old_quiet = LeadFactory(owner=me, name="Old quiet")
    Lead.objects.filter(pk=old_quiet.pk).update(created_at=now - datetime.timedelta(days=30), last_activity_at=None)
    touched_long_ago = LeadFactory(owner=me, name="Touched long ago")
    Lead.objects.filter(pk=touched_long_ago.pk).update(
        created_at=now - datetime.timedelta(days=60), last_activity_at=now - datetime.timedelta(days=10)
    )
    recent = LeadFactory(owner=me, name="Touched yesterday")
    Lead.objects.filter(pk=recent.pk).update(
        created_at=now - datetime.timedelta(days=60), last_activity_at=now - datetime.timedelta(days=1)
    )
    new = LeadFactory(owner=me, name="Brand new")  # created now, nothing logged: not untouched yet
    closed = LeadFactory(owner=me, name="Converted")
    Lead.objects.filter(pk=closed.pk).update(status="converted", created_at=now - datetime.timedelta(days=30))
    theirs = LeadFactory(owner=users.outsider)
    Lead.objects.filter(pk=theirs.pk).update(created_at=now - datetime.timedelta(days=30))
    found = _sections(me, days=7)["untouched_leads"]
    assert _ids(found) == [old_quiet.pk, touched_long_ago.pk]
    assert new.pk not in _ids(found) and recent.pk not in _ids(found)
    assert _ids(_sections(me, days=20)["untouched_leads"]) == [old_quiet.pk]

    missed = DealFactory(owner=me, next_step="发送合同", next_step_date=today() - datetime.timedelta(days=1))
    DealFactory(owner=me, next_step="call", next_step_date=today())
    won = DealFactory(owner=me, next_step_date=today() - datetime.timedelta(days=5))
    type(won).objects.filter(pk=won.pk).update(status="won")
    DealFactory(owner=users.teammate, next_step_date=today() - datetime.timedelta(days=5))
    assert _ids(_sections(me)["next_steps"]) == [missed.pk]


def test_manager_switches_between_me_the_team_and_one_member(users, client_for):
    day = today()
    mine = task(users.manager, at(day, 10), subject="Manager's own")
    reps = task(users.owner, at(day, 11), subject="Rep's task")
    outsider = task(users.outsider, at(day, 12), subject="Outsider's task")
    assert _ids(_sections(users.manager)["today"]) == [mine.pk]
    assert _ids(_sections(users.manager, team="1")["today"]) == [mine.pk, reps.pk]
    assert _ids(_sections(users.manager, member=users.owner.pk)["today"]) == [reps.pk]
    client = client_for(users.manager)
    page = client.get(URL, {"team": "1"}).content.decode()
    assert "Rep&#x27;s task" in page and "Manager&#x27;s own" in page and "Outsider" not in page
    assert 'class="owner"' in page  # rows show the owner when a team is shown
    assert client.get(URL, {"who": str(users.owner.pk)}).status_code == 200
    # Someone the manager cannot see: 404 on the page, a translated 400 in the API.
    assert client.get(URL, {"user": users.outsider.pk}).status_code == 404
    assert outsider.pk not in _ids(_sections(users.manager, team="1")["today"])


def test_the_switch_is_offered_only_to_who_sees_beyond_their_own(users, client_for, settings):
    from crm.accounts.models import Role

    page = client_for(users.manager).get(URL).content.decode()
    assert 'id="who-select"' in page
    own_only = Role.objects.create(name="Own only", default_read_scope="own", default_write_scope="own")
    own_only.permissions.set(users.owner.role.permissions.all())
    users.owner.role = own_only
    users.owner.save()
    page = client_for(users.owner).get(URL).content.decode()
    assert 'id="who-select"' not in page
    assert client_for(users.owner).get(URL, {"user": users.teammate.pk}).status_code == 404


def test_untouched_days_is_remembered_and_validated(users, client_for):
    client = client_for(users.owner)
    assert client.get(URL, {"untouched_days": "14"}).status_code == 200
    users.owner.refresh_from_db()
    assert users.owner.preferences[selectors.UNTOUCHED_PREFERENCE] == 14
    assert 'value="14"' in client.get(URL).content.decode()
    bad = client.get(URL, {"untouched_days": "abc"})
    assert bad.status_code == 400 and "from 1 to 365" in bad.content.decode()
    users.owner.refresh_from_db()
    assert users.owner.preferences[selectors.UNTOUCHED_PREFERENCE] == 14


def test_done_button_completes_the_task_with_a_follow_up(users, client_for):
    overdue = task(users.owner, at(today() - datetime.timedelta(days=1), 9), subject="Send the quote")
    client = client_for(users.owner)
    response = client.post(
        reverse("agenda:task_done", args=[overdue.pk]),
        {"version": overdue.version, "follow_up_subject": "Call about the quote", "follow_up_due": "2030-01-02T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "is done" in body and "Follow-up task created" in body
    overdue.refresh_from_db()
    assert overdue.done and overdue.done_at is not None
    follow = Activity.objects.get(subject="Call about the quote")
    assert follow.kind == ActivityKind.TASK and follow.company_id == overdue.company_id
    assert timezone.localtime(follow.due_at).replace(tzinfo=None) == datetime.datetime(2030, 1, 2, 10, 0)
    assert overdue.pk not in _ids(_sections(users.owner)["overdue"])


def test_done_button_refusals_are_translated_and_change_nothing(users, client_for):
    mine = task(users.owner, at(today(), 9))
    teammates = task(users.teammate, at(today(), 9))
    outsiders = task(users.outsider, at(today(), 9))
    client = client_for(users.owner)
    done = reverse("agenda:task_done", args=[mine.pk])
    stale = client.post(done, {"version": mine.version + 5}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    forbidden = client.post(reverse("agenda:task_done", args=[teammates.pk]), {}, HTTP_HX_REQUEST="true")
    assert forbidden.status_code == 403
    hidden = client.post(reverse("agenda:task_done", args=[outsiders.pk]), {}, HTTP_HX_REQUEST="true")
    assert hidden.status_code == 404 and "no longer exists" in hidden.content.decode()
    bad_due = client.post(
        done, {"version": mine.version, "follow_up_subject": "x", "follow_up_due": "tomorrow"}, HTTP_HX_REQUEST="true"
    )
    assert bad_due.status_code == 400 and "valid date" in bad_due.content.decode()
    zh = client.post(done, {"version": 999}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 409 and any("\u4e00" <= ch <= "\u9fff" for ch in zh.content.decode())
    assert not Activity.objects.filter(pk__in=[mine.pk, teammates.pk, outsiders.pk], done=True).exists()
    # Only the rep's own open tasks carry the button.
    page = client.get(URL, {"team": "1"}).content.decode()
    assert reverse("agenda:task_done", args=[mine.pk]) in page
    assert reverse("agenda:task_done", args=[teammates.pk]) not in page


def _populate(owner, n, day):
    for i in range(n):
        company = None if i == 0 else Activity.objects.filter(owner=owner).first().company
        extra = {"company": company} if company else {}
        task(owner, at(day - datetime.timedelta(days=1 + i % 3), 9), **extra)
        task(owner, at(day, 10), **extra)
        meeting(owner, at(day + datetime.timedelta(days=1 + i % 5), 14), **extra)
        lead = LeadFactory(owner=owner)
        Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
        DealFactory(owner=owner, next_step_date=day - datetime.timedelta(days=2))


@pytest.mark.parametrize("who", [{}, {"team": "1"}])
def test_my_day_costs_the_same_queries_for_few_and_many_rows(users, client_for, who):
    """A short section needs no count query; from 20 rows on, one count each, however
    many rows there are."""
    client = client_for(users.manager)
    owner = users.manager if not who else users.owner
    day = today()
    _populate(owner, 2, day)
    client.get(URL, who)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, who).status_code == 200
    _populate(owner, 22, day)
    with CaptureQueriesContext(connection) as big:
        assert client.get(URL, who).status_code == 200
    _populate(owner, 30, day)
    _populate(users.teammate, 10, day)
    with CaptureQueriesContext(connection) as bigger:
        page = client.get(URL, who)
    assert page.status_code == 200
    assert len(bigger) == len(big), [q["sql"] for q in bigger.captured_queries]
    assert len(small) <= len(big) <= len(small) + 5
    assert "20 of" in page.content.decode()  # capped sections say how many there are


def test_api_my_day(users, api_for):
    overdue = task(users.owner, at(today() - datetime.timedelta(days=1), 9))
    api = api_for(users.manager)
    data = api.get("/api/v1/my-day/", {"user": users.owner.pk, "untouched_days": 3}).json()
    assert data["who"]["mode"] == "member" and data["who"]["user"]["id"] == users.owner.pk
    assert data["untouched_days"] == 3
    assert data["overdue"]["count"] == 1
    item = data["overdue"]["items"][0]
    assert item["id"] == overdue.pk and item["kind"] == "task" and item["version"] == overdue.version
    assert item["record"]["type"] == "contacts.company" and item["owner"]["id"] == users.owner.pk
    assert item["can_move"] is True  # the manager may change the rep's records
    assert data["overdue"]["see_all"].startswith("/activities/")
    for key in ("today", "upcoming", "untouched_leads", "next_steps"):
        assert set(data[key]) == {"count", "items", "see_all"}
    team = api.get("/api/v1/my-day/", {"team": 1}).json()
    assert {p["id"] for p in team["who"]["people"]} >= {users.manager.pk, users.owner.pk, users.teammate.pk}
    assert users.outsider.pk not in {p["id"] for p in team["who"]["people"]}
    bad = api.get("/api/v1/my-day/", {"user": users.outsider.pk})
    assert bad.status_code == 400 and "user" in bad.json()["error"]["fields"]
    bad = api.get("/api/v1/my-day/", {"untouched_days": "0"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert bad.status_code == 400
    assert api_for(users.owner).get("/api/v1/my-day/", {"user": users.manager.pk}).status_code == 400


def test_visible_owner_ids_follows_the_scopes(users):
    """The helper the people switch is built on (crm/core/visibility.py)."""
    from crm.core.visibility import visible_owner_ids

    assert sorted(visible_owner_ids(users.owner, Activity)) == sorted([users.owner.pk, users.teammate.pk])
    assert visible_owner_ids(users.owner, Activity, "write") == [users.owner.pk]
    assert set(visible_owner_ids(users.manager, Activity)) == {users.manager.pk, users.owner.pk, users.teammate.pk}
    assert visible_owner_ids(users.admin, Activity) is None
    users.outsider.role = None
    users.outsider.save()
    assert visible_owner_ids(users.outsider, Activity) == []
    assert selectors.people_visible(users.admin)[0].pk == users.admin.pk


def test_done_without_htmx_redirects_back_to_my_day(users):
    """The button's form works without JavaScript too (CSRF token in the form)."""
    from django.test import Client

    todo = task(users.owner, at(today(), 9))
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.owner)
    page = client.get(URL).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("agenda:task_done", args=[todo.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == URL
    todo.refresh_from_db()
    assert todo.done
