"""Marketing consent records when it was given or withdrawn, and where it came from."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.contacts import services

pytestmark = pytest.mark.django_db


def test_giving_consent_records_today_and_a_default_source(users):
    contact = services.contact_create(actor=users.owner, data={"name": "周杰", "marketing_consent": True})
    assert contact.consent_date == timezone.localdate()
    assert contact.consent_source == services.DEFAULT_CONSENT_SOURCE


def test_a_given_date_and_source_are_kept(users):
    day = datetime.date(2026, 3, 8)
    contact = services.contact_create(
        actor=users.owner,
        data={"name": "周杰", "marketing_consent": True, "consent_date": day, "consent_source": "展会 Trade fair"},
    )
    assert (contact.consent_date, contact.consent_source) == (day, "展会 Trade fair")


def test_no_consent_records_nothing(users):
    contact = services.contact_create(actor=users.owner, data={"name": "周杰", "marketing_consent": False})
    assert (contact.marketing_consent, contact.consent_date, contact.consent_source) == (False, None, "")


def test_withdrawing_keeps_the_source_and_records_the_day(users):
    contact = services.contact_create(
        actor=users.owner,
        data={
            "name": "周杰",
            "marketing_consent": True,
            "consent_date": datetime.date(2025, 1, 2),
            "consent_source": "web form",
        },
    )
    contact = services.contact_update(
        instance=contact,
        actor=users.owner,
        # As a form sends it: the stored date and source carried over.
        data={"marketing_consent": False, "consent_date": datetime.date(2025, 1, 2), "consent_source": "web form"},
    )
    contact.refresh_from_db()
    assert contact.marketing_consent is False
    assert contact.consent_date == timezone.localdate()
    assert contact.consent_source == "web form"


def test_an_unchanged_flag_changes_nothing(users):
    day = datetime.date(2025, 1, 2)
    contact = services.contact_create(
        actor=users.owner, data={"name": "周杰", "marketing_consent": True, "consent_date": day}
    )
    contact = services.contact_update(
        instance=contact, actor=users.owner, data={"marketing_consent": True, "title": "经理"}
    )
    assert contact.consent_date == day


def test_consent_through_the_page_and_api(users, client_for, api_for):
    response = client_for(users.owner).post(
        reverse("contacts:contact_add"), {"name": "吴磊", "marketing_consent": "on", "consent_source": "微信"}
    )
    assert response.status_code == 302
    contact = services.Contact.objects.get(name="吴磊")
    assert (contact.consent_date, contact.consent_source) == (timezone.localdate(), "微信")
    api = api_for(users.owner)
    body = api.post("/api/v1/contacts/", {"name": "吴亦", "marketing_consent": True}, format="json").json()
    assert body["consent_date"] == timezone.localdate().isoformat()
    body = api.patch(f"/api/v1/contacts/{body['id']}/", {"marketing_consent": False}, format="json").json()
    assert (body["marketing_consent"], body["consent_source"]) == (False, services.DEFAULT_CONSENT_SOURCE)
