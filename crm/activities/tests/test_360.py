"""Activities on the company, contact, deal and lead pages."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.activities.panels import activities_timeline
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.timeline import key_figures_for, quick_actions_for
from crm.deals.tests.factories import DealFactory

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


def _figures(record, user) -> dict:
    return {str(f.label): f.value for f in key_figures_for(record, user)}


def test_last_contact_ignores_open_tasks_and_hidden_activities(users):
    company = CompanyFactory(owner=users.owner)
    now = timezone.now()
    ActivityFactory(owner=users.owner, company=company, kind="call", occurred_at=now - datetime.timedelta(days=4))
    ActivityFactory(owner=users.owner, company=company, kind="task", occurred_at=now)
    ActivityFactory(owner=users.outsider, company=company, kind="call", occurred_at=now)
    figures = _figures(company, users.owner)
    assert figures["Days since last contact"] == 4
    assert figures["Last contact"] != "—"


def test_no_contact_yet(users):
    company = CompanyFactory(owner=users.owner)
    figures = _figures(company, users.owner)
    assert figures["Last contact"] == "—" and "Days since last contact" not in figures


def test_the_two_figures_cost_one_query(users):
    contact = ContactFactory(owner=users.owner)
    ActivityFactory(owner=users.owner, contact=contact, company=None)
    from crm.activities import panels

    panels.last_contact(ContactFactory(owner=users.owner), users.owner)  # permissions and scopes, cached

    with CaptureQueriesContext(connection) as queries:
        panels.last_contact(contact, users.owner)
        panels.days_since_last_contact(contact, users.owner)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert "occurred_at" in queries[0]["sql"]


def test_timeline_shows_newest_50_in_one_query(users):
    deal = DealFactory(owner=users.owner)
    ActivityFactory(owner=users.owner, deal=deal, company=None, subject="First")
    activities_timeline(deal, users.owner, 50)  # permissions and scopes, cached
    with CaptureQueriesContext(connection) as few:
        items = activities_timeline(deal, users.owner, 50)
    assert [i.title for i in items] == ["Note: First"]
    start = timezone.now()
    for i in range(60):
        ActivityFactory(owner=users.owner, deal=deal, company=None, occurred_at=start + datetime.timedelta(minutes=i))
    with CaptureQueriesContext(connection) as many:
        items = activities_timeline(deal, users.owner, 50)
    assert len(items) == 50 and len(many) == len(few) == 1
    assert items[0].when == start + datetime.timedelta(minutes=59)


def test_history_page_shows_activities_escaped(users, client_for):
    company = CompanyFactory(owner=users.owner)
    ActivityFactory(owner=users.owner, company=company, kind="call", subject="<b>Called</b> 王芳")
    html = client_for(users.owner).get(reverse("contacts:company_history", args=[company.pk])).content.decode()
    assert "Call: &lt;b&gt;Called&lt;/b&gt; 王芳" in html


def test_quick_actions_link_to_the_form_with_the_records(users, client_for):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    urls = {str(a.label): a.url for a in quick_actions_for(contact, users.owner)}
    add = reverse("activities:activity_add")
    assert urls["Log a call"] == f"{add}?contact={contact.pk}&company={company.pk}&kind=call"
    assert urls["Add a note"] == f"{add}?contact={contact.pk}&company={company.pk}&kind=note"
    html = client_for(users.owner).get(company.get_absolute_url()).content.decode()
    assert f"{add}?company={company.pk}&amp;kind=call" in html
    form = client_for(users.owner).get(f"{add}?company={company.pk}&kind=call")
    assert form.status_code == 200
    assert form.context["form"].initial.get("kind") == "call"


def test_no_quick_actions_without_the_add_permission(users):
    from django.contrib.auth.models import Permission

    from crm.core.testing.factories import UserFactory, role

    viewer = UserFactory(username="viewer", role=role("marketing"), team=None)
    viewer.role.permissions.remove(Permission.objects.get(codename="add_activity"))
    company = CompanyFactory(owner=users.owner)
    assert not [a for a in quick_actions_for(company, viewer) if "kind=" in a.url]


def test_company_page_query_count_does_not_grow_with_activities(users, client_for):
    company = CompanyFactory(owner=users.owner)
    client = client_for(users.owner)
    client.get(company.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(company.get_absolute_url())
        client.get(reverse("contacts:company_history", args=[company.pk]))
    for _ in range(20):
        ActivityFactory(owner=users.owner, company=company)
    with CaptureQueriesContext(connection) as many:
        client.get(company.get_absolute_url())
        client.get(reverse("contacts:company_history", args=[company.pk]))
    assert len(many) == len(few)
