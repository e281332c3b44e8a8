"""Deals on the 360-degree pages of companies and contacts: key figures, the related
panel and the stage moves on the timeline, in a constant number of queries."""

import decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.timeline import key_figures_for, related_panels_for, timeline_for
from crm.deals.models import DealContact
from crm.deals.services import deal_create, deal_move_stage

from .factories import DealFactory, stage

pytestmark = pytest.mark.django_db


def test_company_and_contact_figures_panel_and_timeline(users, client_for):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    deal = deal_create(
        actor=users.owner,
        data={"name": "Robot arms 机械臂", "company": company, "amount": "1000"},
        contacts=[(contact, "decision_maker")],
    )
    won = deal_create(actor=users.owner, data={"name": "Spare parts", "company": company, "amount": "2500.5"})
    deal_move_stage(deal=won, stage=stage("won"), actor=users.owner, reason="Signed")
    DealFactory(owner=users.outsider, company=company, amount=decimal.Decimal("99999"), name="Hidden deal")
    figures = {str(f.label): f.value for f in key_figures_for(company, users.owner)}
    assert figures["Open deals"] == 1 and figures["Lifetime won"] == "2,500.50 CNY"
    assert {str(f.label): f.value for f in key_figures_for(contact, users.owner)}["Open deals"] == 1
    panel = next(p for p in related_panels_for(company, users.owner) if str(p.title) == "Deals")
    assert {d.name for d in panel.records} == {"Robot arms 机械臂", "Spare parts"} and panel.total == 2
    titles = [str(i.title) for i in timeline_for(company, users.owner) if i.kind == "deal.move"]
    assert "Spare parts moved from Qualification to Won" in titles
    assert "Robot arms 机械臂 created in Qualification" in titles
    assert not any("Hidden" in t for t in titles)
    contact_titles = [str(i.title) for i in timeline_for(contact, users.owner) if i.kind == "deal.move"]
    assert contact_titles == ["Robot arms 机械臂 created in Qualification"]
    deal_titles = [str(i.title) for i in timeline_for(won, users.owner) if i.kind == "deal.move"]
    assert deal_titles[0] == "Spare parts moved from Qualification to Won"
    page = client_for(users.owner).get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "Lifetime won" in page and "Robot arms 机械臂" in page and "Hidden deal" not in page
    assert deal.get_absolute_url() in page


def test_queries_do_not_grow_with_deals(users, client_for):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    client = client_for(users.owner)

    def cost():
        client.get(reverse("contacts:company_detail", args=[company.pk]))
        with CaptureQueriesContext(connection) as page:
            client.get(reverse("contacts:company_detail", args=[company.pk]))
            client.get(reverse("contacts:company_history", args=[company.pk]))
            client.get(reverse("contacts:contact_detail", args=[contact.pk]))
        return len(page)

    def add(n):
        for _ in range(n):
            deal = DealFactory(owner=users.owner, company=company)
            DealContact.objects.create(deal=deal, contact=contact)
            deal_move_stage(deal=deal, stage=stage(index=1), actor=users.owner)

    add(1)
    one = cost()
    add(11)  # past the panel's ten: one more count each for the company and the contact panel
    few = cost()
    assert few == one + 2
    for _ in range(25):
        deal = DealFactory(owner=users.owner, company=company)
        DealContact.objects.create(deal=deal, contact=contact)
        deal_move_stage(deal=deal, stage=stage(index=1), actor=users.owner)
    assert cost() == few
