"""The "Send e-mail" action appears where it can work: a contact with an address, a deal with a
contact who has one, for users who may log activities."""

import pytest
from django.urls import reverse

from crm.core.testing.factories import UserFactory
from crm.deals.models import DealContact
from crm.deals.tests.factories import DealFactory
from crm.emails.panels import send_email_on_deal, send_email_to_contact

pytestmark = pytest.mark.django_db


def test_contact_action_needs_an_address_and_the_permission(users, people):
    action = send_email_to_contact(people["alice"], users.owner)
    assert action is not None and action.url == reverse("emails:compose") + f"?contact={people['alice'].pk}"
    assert send_email_to_contact(people["no_email"], users.owner) is None
    nobody = UserFactory(username="norole", role=None)
    assert send_email_to_contact(people["alice"], nobody) is None


def test_deal_action_needs_a_contact_with_an_address(users, people):
    deal = DealFactory(owner=users.owner)
    assert send_email_on_deal(deal, users.owner) is None
    DealContact.objects.create(deal=deal, contact=people["no_email"])
    assert send_email_on_deal(deal, users.owner) is None
    DealContact.objects.create(deal=deal, contact=people["alice"])
    assert send_email_on_deal(deal, users.owner).url == reverse("emails:compose") + f"?deal={deal.pk}"


def test_pages_refuse_users_who_may_not_log_activities(users, people, client_for, api_for):
    nobody = UserFactory(username="norole", role=None)
    client = client_for(nobody)
    for name in ("emails:template_list", "emails:template_add", "emails:compose", "emails:logging_address"):
        assert client.get(reverse(name)).status_code == 403, name
    assert api_for(nobody).get("/api/v1/email-templates/").status_code == 403
    assert api_for(nobody).get("/api/v1/emails/").status_code == 403
