"""Aging buckets, overdue lists and outstanding per owner and customer."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.contacts.tests.factories import CompanyFactory
from crm.orders import selectors, services
from crm.orders.models import OrderStatus

from .factories import make_order, plan

pytestmark = pytest.mark.django_db


def test_buckets_by_days_past_due(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    plan(order, (0, "1000"), (-1, "1"), (-30, "2"), (-31, "4"), (-60, "8"), (-61, "16"), (-90, "32"), (-91, "11000.18"))
    services.payment_record(order=order, actor=users.owner, amount="1000")  # pays the oldest first
    [row] = selectors.aging(users.owner)
    assert row["d0_30"] == Decimal("3.00") and row["d31_60"] == Decimal("12.00")
    assert row["d61_90"] == Decimal("48.00") and row["d90_plus"] == Decimal("10000.18")
    assert row["overdue"] == Decimal("10063.18") == row["d0_30"] + row["d31_60"] + row["d61_90"] + row["d90_plus"]


def test_drafts_cancelled_and_other_peoples_orders_are_left_out(users):
    plan(make_order(owner=users.owner, status=OrderStatus.CONFIRMED), (-5, "12063.18"))
    plan(make_order(owner=users.outsider, status=OrderStatus.SHIPPED), (-5, "12063.18"))
    make_order(owner=users.owner)
    assert [r["overdue"] for r in selectors.aging(users.owner)] == [Decimal("12063.18")]
    assert [r["overdue"] for r in selectors.aging(users.admin)] == [Decimal("24126.36")]
    assert selectors.aging(users.admin, owner=users.owner.pk)[0]["overdue"] == Decimal("12063.18")
    assert selectors.aging(users.admin, team=users.outsider.team_id)[0]["overdue"] == Decimal("12063.18")


def test_currencies_are_never_added_together_and_each_table_is_one_query(users):
    company = CompanyFactory(owner=users.owner)
    plan(make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED), (-40, "12063.18"))
    plan(make_order(owner=users.owner, company=company, status=OrderStatus.CONFIRMED, currency="JPY"), (-40, "12063"))
    selectors.aging(users.owner)  # the user's role and team, read once per request
    for by, names in ((None, 0), ("customer", 1), ("owner", 1)):  # these orders have no contact
        with CaptureQueriesContext(connection) as queries:
            rows = selectors.aging(users.owner, by=by)
        # One aggregate query, then the names of the rows' customers or owners by id.
        assert len(queries) == 1 + names, by
        assert {r["currency"]: r["d31_60"] for r in rows} == {"CNY": Decimal("12063.18"), "JPY": Decimal("12063")}
    by_customer = selectors.aging(users.owner, by="customer")
    assert {r["company_name"] for r in by_customer} == {company.name}
    owing = selectors.outstanding_by(users.owner, group="owner")
    assert {(r["currency"], r["owner_username"], r["outstanding"]) for r in owing} == {
        ("CNY", users.owner.username, Decimal("12063.18")),
        ("JPY", users.owner.username, Decimal("12063")),
    }
