"""Orders are the purchases the value tiers read; a won deal that became an order is
not counted twice."""

import datetime
import decimal

import pytest
from django.utils import timezone

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.contacts.tiers import tiers_recompute
from crm.deals.models import Stage, StageKind
from crm.deals.services import deal_create, deal_move_stage
from crm.orders import services
from crm.orders.models import OrderStatus

from .factories import make_order

pytestmark = pytest.mark.django_db
D = decimal.Decimal


def test_tiers_read_confirmed_orders_but_not_drafts_cancelled_or_deleted(users):
    company = CompanyFactory(owner=users.owner)
    make_order(
        owner=users.owner,
        company=company,
        status=OrderStatus.COMPLETED,
        order_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    make_order(owner=users.owner, company=company)  # draft
    make_order(owner=users.owner, company=company, status=OrderStatus.CANCELLED)
    deleted = make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED)
    services.order_delete(instance=deleted, actor=None)
    make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED, currency="USD")
    tiers_recompute()
    company.refresh_from_db()
    assert company.lifetime_value == D("12063.18")
    assert company.rfm_frequency >= 1 and company.tier != ""
    assert timezone.localtime(company.last_purchase_at).date() == timezone.localdate() - datetime.timedelta(days=3)


def test_an_order_without_company_counts_for_its_contact(users):
    person = ContactFactory(owner=users.owner, company=None)
    make_order(owner=users.owner, contact=person, company=None, status=OrderStatus.CONFIRMED)
    tiers_recompute()
    person.refresh_from_db()
    assert person.lifetime_value == D("12063.18")


def test_a_won_deal_that_became_an_order_is_counted_once(users):
    company = CompanyFactory(owner=users.owner)
    deal = deal_create(actor=users.owner, data={"name": "ERP", "company": company, "amount": D("50000")})
    deal = deal_move_stage(
        deal=deal, stage=Stage.objects.get(pipeline=deal.pipeline, kind=StageKind.WON), actor=users.owner, reason="签约"
    )
    tiers_recompute()
    company.refresh_from_db()
    assert company.lifetime_value == D("50000.00")
    draft = make_order(owner=users.owner, company=company, deal=deal)
    tiers_recompute()
    company.refresh_from_db()
    assert company.lifetime_value == D("50000.00")  # a draft is not a purchase yet
    services.order_transition(order=draft, actor=None, to_status=OrderStatus.CONFIRMED)
    tiers_recompute()
    company.refresh_from_db()
    assert company.lifetime_value == D("12063.18")  # the order, not the deal as well
