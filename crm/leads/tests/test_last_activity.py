"""A lead's last activity: moved forward by what is logged with it, read by the
"untouched for N days" filter of the list, the API and my day."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities.services import activity_complete, activity_create
from crm.leads.models import Lead
from crm.leads.services import lead_touch

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_logging_a_call_moves_the_leads_last_activity_without_a_new_version(users):
    lead = LeadFactory(owner=users.owner)
    when = timezone.now() - datetime.timedelta(hours=2)
    activity_create(actor=users.owner, data={"kind": "call", "subject": "首次电话", "lead": lead, "occurred_at": when})
    lead.refresh_from_db()
    assert lead.last_activity_at == when
    assert lead.version == 1
    # An older activity does not move it back.
    activity_create(
        actor=users.owner,
        data={"kind": "note", "subject": "补记", "lead": lead, "occurred_at": when - datetime.timedelta(days=3)},
    )
    lead.refresh_from_db()
    assert lead.last_activity_at == when


def test_an_open_task_is_not_contact_until_it_is_done(users):
    lead = LeadFactory(owner=users.owner)
    task = activity_create(
        actor=users.owner,
        data={"kind": "task", "subject": "回电", "lead": lead, "due_at": timezone.now() + datetime.timedelta(days=1)},
    )
    lead.refresh_from_db()
    assert lead.last_activity_at is None
    activity_complete(activity=task, actor=users.owner)
    lead.refresh_from_db()
    assert lead.last_activity_at is not None


def test_untouched_filter_on_the_list_and_the_api(users, client_for, api_for):
    now = timezone.now()
    fresh = LeadFactory(owner=users.owner, name="Fresh 新线索")
    Lead.objects.filter(pk=fresh.pk).update(created_at=now - datetime.timedelta(days=30))
    lead_touch(lead_id=fresh.pk, when=now - datetime.timedelta(days=1))
    stale = LeadFactory(owner=users.owner, name="Stale 老线索")
    Lead.objects.filter(pk=stale.pk).update(created_at=now - datetime.timedelta(days=30))
    lead_touch(lead_id=stale.pk, when=now - datetime.timedelta(days=20))
    never = LeadFactory(owner=users.owner, name="Never 无人跟进")
    Lead.objects.filter(pk=never.pk).update(created_at=now - datetime.timedelta(days=30))
    new = LeadFactory(owner=users.owner, name="New 刚进来")

    response = client_for(users.owner).get(reverse("leads:lead_list"), {"inactive_days": 7})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Stale 老线索" in body and "Never 无人跟进" in body
    assert "Fresh 新线索" not in body and "New 刚进来" not in body

    api = api_for(users.owner)
    names = {row["name"] for row in api.get(reverse("lead-list"), {"inactive_days": 7}).json()["results"]}
    assert names == {stale.name, never.name}
    assert new.pk
    bad = api.get(reverse("lead-list"), {"inactive_days": "abc"})
    assert bad.status_code == 400
