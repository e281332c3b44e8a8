"""Orders on the 360 pages: timelines, key figures, the deal's "Create order"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.timeline import key_figures_for, quick_actions_for, timeline_for
from crm.deals.tests.factories import DealFactory, stage
from crm.orders import services
from crm.orders.models import OrderStatus

from .factories import make_order, plan

pytestmark = pytest.mark.django_db


def test_orders_status_changes_and_payments_are_on_the_timelines(users):
    company = CompanyFactory(owner=users.owner)
    deal = DealFactory(owner=users.owner, company=company)
    order = make_order(owner=users.owner, company=company, deal=deal, status=OrderStatus.CONFIRMED)
    services.payment_record(order=order, actor=users.owner, amount="88.8")
    for record in (company, deal):
        kinds = [item.kind for item in timeline_for(record, users.owner)]
        assert {"order.created", "order.status", "order.payment"} <= set(kinds), record
    titles = [str(i.title) for i in timeline_for(company, users.owner)]
    assert f"Payment of 88.80 CNY on order {order.number}" in titles
    assert not [i for i in timeline_for(company, users.outsider) if i.kind.startswith("order.")]


def test_timeline_queries_do_not_grow_with_orders(users):
    company = CompanyFactory(owner=users.owner)
    make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED)
    from crm.orders.panels import orders_timeline

    orders_timeline(company, users.owner, 50)  # warm the permission cache
    with CaptureQueriesContext(connection) as few:
        orders_timeline(company, users.owner, 50)
    for _ in range(6):
        order = make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED)
        services.payment_record(order=order, actor=users.owner, amount="1")
    with CaptureQueriesContext(connection) as many:
        orders_timeline(company, users.owner, 50)
    assert len(many) == len(few) == 3


def test_outstanding_and_overdue_figures_per_customer(users, client_for):
    company = CompanyFactory(owner=users.owner)
    order = plan(
        make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED), (-3, "63.18"), (30, "12000")
    )
    make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED, currency="USD")
    make_order(owner=users.owner, company=company)  # a draft owes nothing
    services.payment_record(order=order, actor=users.owner, amount="13.18")
    figures = {str(f.label): f.value for f in key_figures_for(company, users.owner)}
    assert figures["Outstanding"] == "12,050.00 CNY · 12,063.18 USD"
    assert figures["Overdue"] == "50.00 CNY"
    html = client_for(users.owner).get(company.get_absolute_url()).content.decode()
    assert "12,050.00 CNY" in html
    contact = ContactFactory(owner=users.owner)
    make_order(owner=users.owner, contact=contact, company=None, status=OrderStatus.CONFIRMED)
    assert {str(f.label): f.value for f in key_figures_for(contact, users.owner)}["Outstanding"] == "12,063.18 CNY"


def test_a_won_deal_offers_create_order_prefilled(users, client_for):
    from crm.deals.models import StageKind

    company = CompanyFactory(owner=users.owner)
    won = DealFactory(owner=users.owner, company=company, stage=stage(StageKind.WON), currency="USD")
    open_deal = DealFactory(owner=users.owner, company=company)
    assert not [a for a in quick_actions_for(open_deal, users.owner) if str(a.label) == "Create order"]
    action = next(a for a in quick_actions_for(won, users.owner) if str(a.label) == "Create order")
    assert f"deal={won.pk}" in action.url and "currency=USD" in action.url and f"company={company.pk}" in action.url
    html = client_for(users.owner).get(action.url).content.decode()
    assert 'value="USD"' in html and company.name in html
    response = client_for(users.owner).post(
        action.url,
        {"title": won.name, "company": company.pk, "deal": won.pk, "currency": "USD", "order_date": "2026-11-30"},
    )
    assert response.status_code == 302
    assert won.orders.get().currency == "USD"
