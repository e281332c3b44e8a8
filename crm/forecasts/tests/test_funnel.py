"""The funnel: deals that reached each stage in the period and the conversion between stages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.forecasts.periods import parse_period
from crm.forecasts.selectors import DealFilters, funnel

from .factories import at, deal, make_pipeline, moved

Q4 = parse_period("2026-Q4")
pytestmark = pytest.mark.django_db


def counts(result):
    return [(s.label, s.reached) for s in result.steps]


def test_reaching_a_stage_counts_for_every_stage_before_it(users, stages, sales):
    s = stages
    a = deal(s["won"], users.owner, "100")
    moved(a, (s["lead"], at(2026, 10, 2)), (s["qualified"], at(2026, 10, 9)), (s["won"], at(2026, 11, 1)))
    b = deal(s["proposal"], users.owner, "200")
    # Skipped "qualified": it still passed it.
    moved(b, (s["lead"], at(2026, 10, 2)), (s["proposal"], at(2026, 10, 20)))
    c = deal(s["lost"], users.owner, "400")
    moved(c, (s["lead"], at(2026, 10, 5)), (s["lost"], at(2026, 10, 25)))
    d = deal(s["qualified"], users.owner, "800", currency="USD")
    moved(d, (s["lead"], at(2026, 10, 6)), (s["qualified"], at(2026, 10, 7)))
    old = deal(s["negotiation"], users.owner, "1600")
    moved(old, (s["lead"], at(2026, 9, 1)), (s["negotiation"], at(2026, 9, 30)))  # last quarter

    result = funnel(user=users.admin, period=Q4)
    assert result.pipeline == sales[0]
    assert counts(result) == [("Lead", 4), ("Qualified", 3), ("Proposal", 2), ("Negotiation", 1), ("Won", 1)]
    assert [s.conversion for s in result.steps] == [
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("50.0"),
        Decimal("100.0"),
        None,
    ]
    # Amounts add up the default currency only.
    assert result.steps[0].amount == Decimal("700.00")
    assert result.steps[1].amount == Decimal("300.00")
    assert result.lost == 1
    assert result.win_rate == Decimal("25.0")


def test_the_funnel_follows_visibility_and_filters(users, stages, sales):
    s = stages
    for owner in (users.owner, users.teammate, users.outsider):
        moved(deal(s["qualified"], owner, "10"), (s["lead"], at(2026, 10, 2)), (s["qualified"], at(2026, 10, 3)))
    assert counts(funnel(user=users.owner, period=Q4))[0] == ("Lead", 2)
    assert counts(funnel(user=users.outsider, period=Q4))[0] == ("Lead", 1)
    assert counts(funnel(user=users.admin, period=Q4))[0] == ("Lead", 3)
    only_owner = funnel(user=users.admin, period=Q4, filters=DealFilters(owner=users.owner))
    assert counts(only_owner)[0] == ("Lead", 1)
    other, other_stages = make_pipeline(default=False, name="Renewals")
    moved(deal(other_stages["lead"], users.owner, "1"), (other_stages["lead"], at(2026, 10, 2)))
    renewals = funnel(user=users.admin, period=Q4, filters=DealFilters(pipeline=other))
    assert counts(renewals)[0] == ("Lead", 1)


def test_an_empty_period_has_no_conversion(users, stages):
    result = funnel(user=users.admin, period=parse_period("2025-Q1"))
    assert [s.reached for s in result.steps] == [0, 0, 0, 0, 0]
    assert all(s.conversion is None for s in result.steps)
    assert result.win_rate is None


def test_the_funnel_is_a_constant_number_of_queries(users, stages):
    s = stages
    funnel(user=users.manager, period=Q4)
    with CaptureQueriesContext(connection) as few:
        funnel(user=users.manager, period=Q4)
    for _i in range(20):
        moved(deal(s["won"], users.owner, "1"), (s["lead"], at(2026, 10, 2)), (s["won"], at(2026, 10, 3)))
    with CaptureQueriesContext(connection) as many:
        funnel(user=users.manager, period=Q4)
    assert len(many) == len(few)
