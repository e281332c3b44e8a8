"""Won deals are the purchases the value tiers read until orders and payments land."""

import decimal

import pytest
from django.conf import settings

from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.contacts.tiers import tiers_recompute
from crm.deals.models import Stage, StageKind
from crm.deals.services import deal_create, deal_move_stage

pytestmark = pytest.mark.django_db
D = decimal.Decimal


def won(deal, actor):
    stage = Stage.objects.get(pipeline=deal.pipeline, kind=StageKind.WON)
    return deal_move_stage(deal=deal, stage=stage, actor=actor, reason="签约 Signed")


def test_a_won_deal_gives_its_company_a_tier_and_lifetime_value(users):
    company = CompanyFactory(owner=users.owner)
    open_company = CompanyFactory(owner=users.owner)
    won(deal_create(actor=users.owner, data={"name": "ERP", "company": company, "amount": D("250000")}), users.owner)
    deal_create(actor=users.owner, data={"name": "Open", "company": open_company, "amount": D("990000")})
    tiers_recompute()
    company.refresh_from_db()
    open_company.refresh_from_db()
    assert company.lifetime_value == D("250000.00") and company.tier == "B" and company.rfm == "514"
    assert company.last_purchase_at is not None
    assert (open_company.tier, open_company.lifetime_value) == ("", D("0.00"))


def test_a_won_deal_without_company_counts_for_its_contacts(users):
    person = ContactFactory(owner=users.owner)
    deal = deal_create(actor=users.owner, data={"name": "Consulting", "amount": D("12000")}, contacts=[(person, "")])
    won(deal, users.owner)
    tiers_recompute()
    person.refresh_from_db()
    assert person.lifetime_value == D("12000.00") and person.tier != ""


def test_other_currencies_and_lost_deals_do_not_count(users):
    company = CompanyFactory(owner=users.owner)
    other = "USD" if settings.DEFAULT_CURRENCY != "USD" else "EUR"
    abroad = deal_create(
        actor=users.owner, data={"name": "Abroad", "company": company, "amount": D("5"), "currency": other}
    )
    won(abroad, users.owner)
    lost = deal_create(actor=users.owner, data={"name": "Lost", "company": company, "amount": D("7")})
    lost_stage = Stage.objects.get(pipeline=lost.pipeline, kind=StageKind.LOST)
    deal_move_stage(deal=lost, stage=lost_stage, actor=users.owner, reason="价格 Price")
    tiers_recompute()
    assert Company.objects.get(pk=company.pk).tier == ""
    assert Contact.objects.count() == 0
