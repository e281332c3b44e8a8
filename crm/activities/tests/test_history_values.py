"""The audit entries on a timeline read as people write them: the kind's label, the
linked company's name (only when the viewer may see it), times in the viewer's zone."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities.services import activity_create
from crm.contacts.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_history_shows_labels_names_and_local_times(users, client_for):
    company = CompanyFactory(owner=users.owner, name="星河科技 Galaxy Tech")
    when = timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 30), datetime.UTC)
    activity = activity_create(
        actor=users.owner, data={"kind": "call", "subject": "回访", "company": company, "occurred_at": when}
    )
    html = client_for(users.owner).get(reverse("activities:activity_history", args=[activity.pk])).content.decode()
    assert "星河科技 Galaxy Tech" in html
    assert "→ Call" in html and "→ call" not in html
    assert "2026-03-04T09:30" not in html


def test_a_linked_record_the_viewer_cannot_see_stays_an_id(users, client_for):
    hidden = CompanyFactory(owner=users.outsider, name="Hidden Corp 隐秘公司")
    mine = CompanyFactory(owner=users.admin, name="Visible 可见")
    activity = activity_create(
        actor=users.admin, data={"kind": "note", "subject": "x", "company": hidden, "contact": None}
    )
    from crm.activities.services import activity_update

    activity_update(instance=activity, actor=users.admin, data={"company": mine})
    html = client_for(users.admin).get(reverse("activities:activity_history", args=[activity.pk])).content.decode()
    assert "Hidden Corp 隐秘公司" in html  # the administrator sees every company
    activity.owner = users.manager
    activity.save(update_fields=["owner"])
    html = client_for(users.manager).get(reverse("activities:activity_history", args=[activity.pk])).content.decode()
    assert "Hidden Corp 隐秘公司" not in html and f"→ {hidden.pk}" in html
