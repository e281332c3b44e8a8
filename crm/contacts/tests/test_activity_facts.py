"""When something last happened with a customer, and the "no activity for N days" filter."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.contacts.models import Company, Contact
from crm.contacts.services import customers_touch
from crm.contacts.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_touch_moves_forward_only_and_leaves_version_and_audit_alone(users):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    now = timezone.now()
    customers_touch(company_id=company.pk, contact_id=contact.pk, when=now)
    customers_touch(company_id=company.pk, when=now - datetime.timedelta(days=3))  # older: ignored
    company.refresh_from_db()
    contact.refresh_from_db()
    assert company.last_activity_at == now and contact.last_activity_at == now
    assert company.version == 1 and contact.version == 1


def test_lists_and_api_filter_customers_with_no_recent_activity(users, client_for, api_for):
    now = timezone.now()
    quiet = CompanyFactory(owner=users.owner, name="Quiet Co")
    busy = CompanyFactory(owner=users.owner, name="Busy Co")
    never = CompanyFactory(owner=users.owner, name="Never Co")
    Company.objects.filter(pk=quiet.pk).update(last_activity_at=now - datetime.timedelta(days=90))
    Company.objects.filter(pk=busy.pk).update(last_activity_at=now - datetime.timedelta(days=5))
    html = client_for(users.owner).get(reverse("contacts:company_list") + "?inactive_days=60").content.decode()
    assert "Quiet Co" in html and "Never Co" in html and "Busy Co" not in html
    names = {r["name"] for r in api_for(users.owner).get("/api/v1/companies/?inactive_days=60").json()["results"]}
    assert names == {"Quiet Co", "Never Co"}
    assert never.pk not in {
        r["id"] for r in api_for(users.owner).get("/api/v1/companies/?inactive_days=60&q=busy").json()["results"]
    }
    bad = api_for(users.owner).get("/api/v1/contacts/?inactive_days=soon")
    assert bad.status_code == 400 and "inactive_days" in bad.json()["error"]["fields"]
    assert Contact.objects.count() == 0
