"""The people on a deal, each with a role: services, the detail page panel and the API."""

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import ContactFactory
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.deals.models import DealContact
from crm.deals.services import deal_contact_add, deal_contact_remove, deal_contact_set_role

from .factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(users):
    return DealFactory(owner=users.owner)


def test_add_change_and_remove_are_audited(users, deal):
    contact = ContactFactory(owner=users.owner, name="李娜 Li Na")
    link = deal_contact_add(deal=deal, contact=contact, role="decision_maker", actor=users.owner)
    assert link.role == "decision_maker"
    # Adding the same person again changes the role instead of adding a second row.
    again = deal_contact_add(deal=deal, contact=contact, role="influencer", actor=users.owner)
    assert again.pk == link.pk and DealContact.objects.get(pk=link.pk).role == "influencer"
    deal_contact_set_role(link=again, role="", actor=users.owner)
    deal_contact_remove(link=again, actor=users.owner)
    assert not DealContact.objects.filter(deal=deal).exists()
    changes = [
        c
        for e in AuditEntry.objects.filter(object_id=str(deal.pk)).order_by("id")
        for c in e.changes
        if c["field"] == "contacts"
    ]
    assert [(c["old"], c["new"]) for c in changes] == [
        (None, "李娜 Li Na (Decision maker)"),
        ("李娜 Li Na (Decision maker)", "李娜 Li Na (Influencer)"),
        ("李娜 Li Na (Influencer)", "李娜 Li Na"),
        ("李娜 Li Na", None),
    ]


def test_refusals(users, deal):
    hidden = ContactFactory(owner=users.outsider)
    with pytest.raises(ValidationFailed):
        deal_contact_add(deal=deal, contact=hidden, role="user", actor=users.owner)
    with pytest.raises(ValidationFailed):
        deal_contact_add(deal=deal, contact=987654, role="user", actor=users.owner)
    with pytest.raises(ValidationFailed):
        deal_contact_add(deal=deal, contact=ContactFactory(owner=users.owner), role="king", actor=users.owner)
    with pytest.raises(PermissionDeniedError):
        deal_contact_add(deal=deal, contact=ContactFactory(owner=users.teammate), role="", actor=users.teammate)
    assert not DealContact.objects.exists()


def test_api(users, deal, api_for):
    contact = ContactFactory(owner=users.owner)
    api = api_for(users.owner)
    url = reverse("deal-contacts", args=[deal.pk])
    created = api.post(url, {"contact": contact.pk, "role": "technical"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() == {"contact": contact.pk, "contact_name": contact.name, "role": "technical"}
    assert api.get(url).json() == [created.json()]
    assert api.get(reverse("deal-detail", args=[deal.pk])).json()["contacts"] == [created.json()]
    one = reverse("deal-contact", args=[deal.pk, contact.pk])
    assert api.patch(one, {"role": "user"}, format="json").json()["role"] == "user"
    assert api.patch(one, {"role": "boss"}, format="json").status_code == 400
    assert api.post(url, {"contact": ContactFactory(owner=users.outsider).pk}, format="json").status_code == 400
    assert api_for(users.teammate).delete(one).status_code == 403
    assert api.delete(one).status_code == 204
    assert api.delete(one).status_code == 404
    assert api_for(users.outsider).get(url).status_code == 404


def test_detail_page_panel(users, deal, client_for):
    contact = ContactFactory(owner=users.owner, name="王芳 Wang Fang")
    client = client_for(users.owner)
    url = reverse("deals:deal_contacts", args=[deal.pk])
    response = client.post(url, {"contact": contact.pk, "role": "economic_buyer"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "王芳 Wang Fang" in html and 'value="economic_buyer" selected' in html
    link = DealContact.objects.get(deal=deal)
    change = reverse("deals:deal_contact_change", args=[deal.pk, link.pk])
    client.post(change, {"role": "influencer"}, HTTP_HX_REQUEST="true")
    assert DealContact.objects.get(pk=link.pk).role == "influencer"
    assert client_for(users.teammate).post(change, {"action": "remove"}).status_code == 403
    assert client.post(change, {"action": "remove"}).status_code == 302
    assert not DealContact.objects.filter(deal=deal).exists()
    forged = client.post(url, {"contact": ContactFactory(owner=users.outsider).pk}, HTTP_HX_REQUEST="true")
    assert "Select a valid choice" in forged.content.decode() and not DealContact.objects.exists()
