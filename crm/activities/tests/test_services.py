"""The activity services: links, kinds, the deal's last activity, completing tasks."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm.activities.models import Activity, ActivityKind
from crm.activities.services import activity_complete, activity_create, activity_update
from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import ValidationFailed
from crm.deals.models import Deal
from crm.deals.tests.factories import DealFactory

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


def test_an_activity_needs_a_link(users):
    with pytest.raises(ValidationFailed) as exc:
        activity_create(actor=users.owner, data={"kind": "note", "subject": "Lonely"})
    assert "__all__" in exc.value.fields
    assert not Activity.objects.exists()
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as exc:
        activity_create(actor=users.owner, data={"kind": "note", "subject": "孤单"})
    assert "公司" in str(exc.value.fields["__all__"][0])


def test_removing_the_last_link_is_refused(users):
    activity = ActivityFactory(owner=users.owner)
    with pytest.raises(ValidationFailed):
        activity_update(instance=activity, actor=users.owner, data={"company": None})


def test_the_api_refuses_a_missing_link_and_a_hidden_one_with_400(users, api_for):
    api = api_for(users.owner)
    response = api.post(reverse("activity-list"), {"kind": "note", "subject": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"
    hidden = CompanyFactory(owner=users.outsider)
    response = api.post(reverse("activity-list"), {"subject": "x", "company": hidden.pk}, format="json")
    assert response.status_code == 400 and "company" in response.json()["error"]["fields"]
    response = api.post(reverse("activity-list"), {"subject": "x", "kind": "visit", "company": 1}, format="json")
    assert response.status_code == 400


def test_fields_of_other_kinds_are_cleared(users):
    company = CompanyFactory(owner=users.owner)
    note = activity_create(
        actor=users.owner,
        data={"kind": "note", "subject": " Note ", "company": company, "place": "Shanghai", "duration_minutes": 5},
    )
    assert note.subject == "Note" and note.place == "" and note.duration_minutes is None


def test_a_meeting_cannot_end_before_it_starts(users):
    company = CompanyFactory(owner=users.owner)
    start = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        activity_create(
            actor=users.owner,
            data={
                "kind": "meeting",
                "subject": "Kick-off",
                "company": company,
                "occurred_at": start,
                "end_at": start - datetime.timedelta(hours=1),
            },
        )
    assert "end_at" in exc.value.fields


def test_an_activity_moves_the_deals_last_activity_forward_only(users):
    deal = DealFactory(owner=users.owner)
    version = deal.version
    now = timezone.now()
    activity_create(actor=users.owner, data={"kind": "call", "subject": "Call", "deal": deal, "occurred_at": now})
    deal.refresh_from_db()
    assert deal.last_activity_at == now and deal.version == version
    assert not AuditEntry.objects.filter(object_id=str(deal.pk), action="update").exists()
    activity_create(
        actor=users.owner,
        data={"kind": "note", "subject": "Old", "deal": deal, "occurred_at": now - datetime.timedelta(days=3)},
    )
    assert Deal.objects.get(pk=deal.pk).last_activity_at == now


def test_an_activity_moves_its_customers_last_activity_and_the_inactive_filter_follows(users, api_for):
    company = CompanyFactory(owner=users.owner, name="Talked To")
    contact = ContactFactory(owner=users.owner, company=company)
    quiet = CompanyFactory(owner=users.owner, name="Nobody Called")
    now = timezone.now()
    activity_create(
        actor=users.owner,
        data={"kind": "call", "subject": "Call", "company": company, "contact": contact, "occurred_at": now},
    )
    company.refresh_from_db()
    contact.refresh_from_db()
    assert company.last_activity_at == now and contact.last_activity_at == now
    names = {r["name"] for r in api_for(users.owner).get("/api/v1/companies/?inactive_days=60").json()["results"]}
    assert "Nobody Called" in names and "Talked To" not in names
    assert quiet.pk


def test_an_open_task_does_not_count_but_a_done_one_does(users):
    deal = DealFactory(owner=users.owner)
    task = activity_create(actor=users.owner, data={"kind": "task", "subject": "Send quote", "deal": deal})
    assert Deal.objects.get(pk=deal.pk).last_activity_at is None
    task, follow_up = activity_complete(activity=task, actor=users.owner, follow_up=None)
    assert task.done and task.done_at and follow_up is None
    assert Deal.objects.get(pk=deal.pk).last_activity_at == task.done_at


def test_complete_with_follow_up_creates_the_next_task_on_the_same_records(users):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    task = activity_create(
        actor=users.owner, data={"kind": "task", "subject": "Call back", "company": company, "contact": contact}
    )
    due = timezone.now() + datetime.timedelta(days=7)
    task, follow_up = activity_complete(
        activity=task, actor=users.owner, follow_up={"subject": "Send contract 发合同", "due_at": due}
    )
    assert follow_up.kind == ActivityKind.TASK and not follow_up.done
    assert (follow_up.company, follow_up.contact, follow_up.due_at) == (company, contact, due)
    assert follow_up.owner == users.owner


def test_a_bad_follow_up_leaves_the_task_open(users):
    task = ActivityFactory(owner=users.owner, kind="task")
    with pytest.raises(ValidationFailed) as exc:
        activity_complete(activity=task, actor=users.owner, follow_up={"subject": ""})
    assert "follow_up.subject" in exc.value.fields
    task.refresh_from_db()
    assert not task.done and Activity.objects.count() == 1


def test_only_open_tasks_can_be_completed(users):
    note = ActivityFactory(owner=users.owner)
    with pytest.raises(ValidationFailed):
        activity_complete(activity=note, actor=users.owner, follow_up=None)
    task = ActivityFactory(owner=users.owner, kind="task")
    activity_complete(activity=task, actor=users.owner, follow_up=None)
    task.refresh_from_db()
    with pytest.raises(ValidationFailed):
        activity_complete(activity=task, actor=users.owner, follow_up=None)


def test_complete_through_the_api(users, api_for):
    task = ActivityFactory(owner=users.owner, kind="task")
    url = reverse("activity-complete", args=[task.pk])
    assert api_for(users.teammate).post(url, {}, format="json").status_code == 403
    assert api_for(users.outsider).post(url, {}, format="json").status_code == 404
    response = api_for(users.owner).post(url, {"follow_up": {"subject": "Next 下一步"}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["activity"]["done"] is True and body["follow_up"]["subject"] == "Next 下一步"
    again = api_for(users.owner).post(url, {}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "validation_failed"
    bad = api_for(users.owner).post(
        reverse("activity-complete", args=[ActivityFactory(owner=users.owner, kind="task").pk]),
        {"follow_up": {"subject": "x", "due_at": "soon"}},
        format="json",
    )
    assert bad.status_code == 400


def test_the_body_is_shown_escaped_or_sanitised(users, client_for):
    """A call's details are plain text, escaped; a note's are rich text with the script
    removed (rows written around the services are cleaned again when shown)."""
    call = ActivityFactory(owner=users.owner, kind="call", body="<script>alert(1)</script>")
    html = client_for(users.owner).get(call.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    note = ActivityFactory(owner=users.owner, body="<b>好</b><script>alert(1)</script>")
    html = client_for(users.owner).get(note.get_absolute_url()).content.decode()
    assert "alert(1)" not in html and "<b>好</b>" in html


def test_the_list_filters(users, client_for):
    company = CompanyFactory(owner=users.owner)
    call = ActivityFactory(owner=users.owner, kind="call", subject="Phoned them", company=company)
    note = ActivityFactory(owner=users.owner, kind="note", subject="Wrote it down")
    client = client_for(users.owner)
    html = client.get(reverse("activities:activity_list"), {"kind": "call", "company": company.pk}).content.decode()
    assert call.get_absolute_url() in html and note.get_absolute_url() not in html
    response = client.get(reverse("activities:activity_list"), {"occurred_after": "not-a-date", "done": "maybe"})
    assert response.status_code == 200


def test_bad_filters_do_not_break_the_list_or_the_api(users, client_for, api_for):
    ActivityFactory(owner=users.owner)
    bad = {"occurred_after": "not-a-date", "done": "maybe", "company": "abc", "kind": "visit"}
    page = client_for(users.owner).get(reverse("activities:activity_list"), bad)
    api = api_for(users.owner).get(reverse("activity-list"), bad)
    assert page.status_code == 200  # the list shows the filter form's errors
    assert api.status_code == 400
