"""Logging a call and setting the next step in one go, on the page and through the API:
the follow-up task on the same records, the deal's next step, all or nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities.models import Activity
from crm.contacts.tests.factories import CompanyFactory
from crm.deals.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def test_the_page_logs_the_call_and_creates_the_next_step(users, client_for):
    company = CompanyFactory(owner=users.owner)
    deal = DealFactory(owner=users.owner, company=company)
    response = client_for(users.owner).post(
        reverse("activities:activity_add"),
        {
            "kind": "call",
            "subject": "Pricing call 报价沟通",
            "occurred_at": "2026-11-30T10:00",
            "priority": "normal",
            "company": company.pk,
            "deal": deal.pk,
            "next_step_subject": "Send the quote 发送报价",
            "next_step_due": "2026-12-03T09:00",
        },
    )
    assert response.status_code == 302
    call = Activity.objects.get(subject="Pricing call 报价沟通")
    task = Activity.objects.get(subject="Send the quote 发送报价")
    assert task.kind == "task" and task.deal == deal and task.company == company and not task.done
    deal.refresh_from_db()
    assert deal.next_step == "Send the quote 发送报价" and deal.next_step_date == datetime.date(2026, 12, 3)
    assert call.kind == "call"


def test_a_bad_next_step_saves_nothing(users, client_for):
    company = CompanyFactory(owner=users.owner)
    response = client_for(users.owner).post(
        reverse("activities:activity_add"),
        {
            "kind": "call",
            "subject": "Lonely call",
            "occurred_at": "2026-11-30T10:00",
            "priority": "normal",
            "company": company.pk,
            "next_step_due": "2026-12-03T09:00",
        },
    )
    assert response.status_code == 400
    assert not Activity.objects.exists()


def test_the_api_logs_with_the_next_step_and_refuses_it_on_update(users, api_for):
    company = CompanyFactory(owner=users.owner)
    api = api_for(users.owner)
    due = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    response = api.post(
        reverse("activity-list"),
        {
            "kind": "call",
            "subject": "API call",
            "company": company.pk,
            "next_step": {"subject": "Follow up", "due_at": due},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    task = Activity.objects.get(pk=response.json()["next_task"])
    assert task.kind == "task" and task.company == company and task.subject == "Follow up"
    response = api.post(
        reverse("activity-list"),
        {"kind": "call", "subject": "Bad", "company": company.pk, "next_step": {"subject": ""}},
        format="json",
    )
    assert response.status_code == 400 and "error" in response.json()
    assert not Activity.objects.filter(subject="Bad").exists()
    call = Activity.objects.get(subject="API call")
    response = api.patch(reverse("activity-detail", args=[call.pk]), {"next_step": {"subject": "Later"}}, format="json")
    assert response.status_code == 400
