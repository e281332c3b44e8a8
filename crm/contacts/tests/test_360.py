"""The company and contact pages: key figures, related records, one timeline."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.audit.services import audit_record
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.timeline import TimelineItem, register_timeline_source, timeline_for

pytestmark = pytest.mark.django_db


def test_company_page_shows_figures_and_visible_contacts_only(users, client_for):
    company = CompanyFactory(owner=users.owner, name="华信科技")
    mine = ContactFactory(owner=users.owner, company=company, name="王芳")
    hidden = ContactFactory(owner=users.outsider, company=company, name="Secret Person")
    html = client_for(users.owner).get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert mine.get_absolute_url() in html and hidden.get_absolute_url() not in html
    assert "Customer since" in html and f"?company={company.pk}" in html
    response = client_for(users.owner).get(reverse("contacts:company_detail", args=[company.pk]))
    figures = {str(f.label): f.value for f in response.context["figures"]}
    assert figures["Contacts"] == 1


def test_contact_page_lists_colleagues(users, client_for):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    colleague = ContactFactory(owner=users.teammate, company=company)
    html = client_for(users.owner).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert colleague.get_absolute_url() in html


def test_timeline_costs_the_same_however_long_the_history(users, client_for):
    company = CompanyFactory(owner=users.owner)
    client = client_for(users.owner)
    url = reverse("contacts:company_history", args=[company.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for i in range(150):
        audit_record(
            action="update",
            actor=users.owner,
            instance=company,
            changes=[{"field": "custom_fields.level", "old": str(i), "new": str(i + 1)}],
        )
    with CaptureQueriesContext(connection) as long:
        html = client.get(url).content.decode()
    assert len(long) <= len(short) + 1  # the custom field labels, read once
    assert html.count("<li>") == 100
    with CaptureQueriesContext(connection) as page_short:
        client.get(reverse("contacts:company_detail", args=[company.pk]))
    # Each registered key figure or panel (customers, deals, ...) costs one or two queries.
    assert len(page_short) < 26


def test_other_apps_plug_into_the_timeline_without_editing_the_page(users, client_for):
    import datetime

    from django.utils import timezone

    company = CompanyFactory(owner=users.owner)

    def calls(record, user, limit):
        return [TimelineItem(when=timezone.now() + datetime.timedelta(minutes=1), kind="call", title="Call with 王芳")]

    register_timeline_source(calls, models=[type(company)])
    try:
        items = timeline_for(company, users.owner)
        assert items[0].title == "Call with 王芳"
        html = client_for(users.owner).get(reverse("contacts:company_history", args=[company.pk])).content.decode()
        assert "Call with 王芳" in html
        contact = ContactFactory(owner=users.owner)
        assert all(i.kind != "call" for i in timeline_for(contact, users.owner))
    finally:
        from crm.core import timeline

        timeline._timeline_sources.remove((calls, ("contacts.company",)))
