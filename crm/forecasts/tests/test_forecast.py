"""The forecast: weighted, commit, best case, closed-won and quota per owner and team."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.accounts.models import Team
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.testing.factories import UserFactory, role
from crm.forecasts.periods import parse_period
from crm.forecasts.selectors import DealFilters, forecast, parse_filters
from crm.forecasts.services import forecast_settings_update

from .factories import QuotaFactory, at, deal

Q4 = parse_period("2026-Q4")
pytestmark = pytest.mark.django_db


def row(result, key):
    return next(r for r in result.rows if r.key == key)


def test_figures_follow_the_definitions(users, stages):
    owner = users.owner
    deal(stages["lead"], owner, "1000")  # 10 %
    deal(stages["proposal"], owner, "2000")  # 60 %
    deal(stages["negotiation"], owner, "4000")  # 80 %: commit
    deal(stages["won"], owner, "500", closed_at=at(2026, 10, 3))
    deal(stages["lost"], owner, "9999", closed_at=at(2026, 10, 3))  # lost counts nowhere
    deal(stages["negotiation"], owner, "7000", expected_close_date=datetime.date(2027, 1, 5))  # next quarter
    deal(stages["won"], owner, "300", closed_at=at(2026, 9, 30))  # won last quarter
    QuotaFactory(user=owner, amount=Decimal("10000"))

    result = forecast(user=users.admin, period=Q4)
    mine = row(result, f"user:{owner.pk}")
    f = mine.figures
    assert f.pipeline == Decimal("7000.00")
    assert f.weighted == Decimal("100.00") + Decimal("1200.00") + Decimal("3200.00")
    assert f.closed_won == Decimal("500.00")
    assert f.commit == Decimal("4500.00")
    assert f.best_case == Decimal("7500.00")
    assert (f.open_count, f.won_count) == (3, 1)
    assert mine.quota == Decimal("10000.00")
    assert mine.attainment == Decimal("5.0")
    assert result.total.figures.best_case == Decimal("7500.00")


def test_the_commit_threshold_is_an_admin_setting(users, stages):
    deal(stages["proposal"], users.owner, "2000")
    assert forecast(user=users.admin, period=Q4).total.figures.commit == 0
    forecast_settings_update(actor=users.admin, commit_threshold=60)
    assert forecast(user=users.admin, period=Q4).total.figures.commit == Decimal("2000.00")
    with pytest.raises(PermissionDeniedError):
        forecast_settings_update(actor=users.manager, commit_threshold=10)
    with pytest.raises(ValidationFailed):
        forecast_settings_update(actor=users.admin, commit_threshold="abc")
    with pytest.raises(ValidationFailed):
        forecast_settings_update(actor=users.admin, commit_threshold=101)


def test_period_boundaries_are_in_the_company_time_zone(users, stages):
    # 23:30 on 31 December in Shanghai is 15:30 UTC: still Q4 there.
    deal(stages["won"], users.owner, "100", closed_at=at(2026, 12, 31, 23) + datetime.timedelta(minutes=30))
    deal(stages["won"], users.owner, "7", closed_at=at(2027, 1, 1, 0) + datetime.timedelta(minutes=10))
    assert forecast(user=users.admin, period=Q4).total.figures.closed_won == Decimal("100.00")
    assert forecast(user=users.admin, period=parse_period("2027-01")).total.figures.closed_won == Decimal("7.00")
    assert forecast(user=users.admin, period=parse_period("2026-12")).total.figures.closed_won == Decimal("100.00")


def test_other_currencies_are_shown_apart_not_converted(users, stages):
    deal(stages["negotiation"], users.owner, "1000")
    deal(stages["negotiation"], users.owner, "50", currency="USD")
    deal(stages["won"], users.owner, "20", currency="USD", closed_at=at(2026, 11, 1))
    result = forecast(user=users.admin, period=Q4)
    assert result.total.figures.best_case == Decimal("1000.00")
    usd = result.other_currencies["USD"]
    assert (usd.pipeline, usd.closed_won, usd.best_case) == (Decimal("50.00"), Decimal("20.00"), Decimal("70.00"))


def test_a_rep_sees_only_what_visibility_allows(users, stages):
    deal(stages["negotiation"], users.owner, "1000")
    deal(stages["negotiation"], users.teammate, "200")
    deal(stages["negotiation"], users.outsider, "30")
    deal(stages["negotiation"], users.manager, "4")
    as_owner = forecast(user=users.owner, period=Q4)
    assert {r.key for r in as_owner.rows} == {f"user:{users.owner.pk}", f"user:{users.teammate.pk}"}
    assert as_owner.total.figures.pipeline == Decimal("1200.00")
    as_outsider = forecast(user=users.outsider, period=Q4)
    assert as_outsider.total.figures.pipeline == Decimal("30.00")
    as_manager = forecast(user=users.manager, period=Q4)
    assert as_manager.total.figures.pipeline == Decimal("1204.00")
    assert forecast(user=users.admin, period=Q4).total.figures.pipeline == Decimal("1234.00")


def test_quotas_of_people_out_of_reach_stay_hidden(users, stages):
    QuotaFactory(user=users.outsider, amount=Decimal("999"))
    QuotaFactory(user=users.teammate, amount=Decimal("50"))
    result = forecast(user=users.owner, period=Q4)
    assert [r.key for r in result.rows] == [f"user:{users.teammate.pk}"]
    assert result.total.quota == Decimal("50.00")


def test_grouped_by_team_a_team_includes_the_teams_below(users, stages):
    deal(stages["negotiation"], users.owner, "1000")
    deal(stages["won"], users.manager, "10", closed_at=at(2026, 11, 2))
    deal(stages["negotiation"], users.outsider, "5")
    sales, east = Team.objects.get(name="Sales"), Team.objects.get(name="East")
    QuotaFactory(team=sales, amount=Decimal("2000"))
    result = forecast(user=users.manager, period=Q4, group_by="team")
    assert [(r.label, r.depth) for r in result.rows] == [("Sales", 0), ("East", 1)]
    assert row(result, f"team:{sales.pk}").figures.best_case == Decimal("1010.00")
    assert row(result, f"team:{east.pk}").figures.best_case == Decimal("1000.00")
    assert row(result, f"team:{sales.pk}").attainment == Decimal("0.5")
    assert result.total.figures.best_case == Decimal("1010.00")  # each deal once
    admin_view = forecast(user=users.admin, period=Q4, group_by="team")
    assert {r.label for r in admin_view.rows} == {"Sales", "East", "Elsewhere"}


def test_a_quarter_without_its_own_quota_adds_up_its_months(users, stages):
    for month in (10, 11, 12):
        QuotaFactory(user=users.owner, period_kind="month", period_start=datetime.date(2026, month, 1), amount=100)
    QuotaFactory(user=users.teammate, period_kind="month", period_start=datetime.date(2026, 10, 1), amount=7)
    QuotaFactory(user=users.teammate, amount=Decimal("500"))  # its own quarter quota wins
    result = forecast(user=users.admin, period=Q4)
    assert row(result, f"user:{users.owner.pk}").quota == Decimal("300.00")
    assert row(result, f"user:{users.teammate.pk}").quota == Decimal("500.00")
    assert forecast(user=users.admin, period=parse_period("2026-11")).rows[0].quota == Decimal("100.00")


def test_filters_by_pipeline_and_team(users, stages, sales):
    from .factories import make_pipeline

    _other, other_stages = make_pipeline(default=False, name="Renewals")
    deal(stages["negotiation"], users.owner, "1000")
    deal(other_stages["negotiation"], users.owner, "5")
    deal(stages["negotiation"], users.outsider, "70")
    pipeline = sales[0]
    only_sales = forecast(user=users.admin, period=Q4, filters=DealFilters(pipeline=pipeline))
    assert only_sales.total.figures.pipeline == Decimal("1070.00")
    east = Team.objects.get(name="East")
    only_east = forecast(user=users.admin, period=Q4, filters=parse_filters(users.admin, team=east.pk))
    assert only_east.total.figures.pipeline == Decimal("1005.00")


def test_forged_or_hidden_filter_ids_are_refused(users, stages):
    elsewhere = Team.objects.get(name="Elsewhere")
    for kwargs in ({"team": elsewhere.pk}, {"team": "abc"}, {"pipeline": 999999}, {"owner": users.outsider.pk}):
        with pytest.raises(ValidationFailed):
            parse_filters(users.owner, **kwargs)


def test_without_the_deal_view_permission_there_is_no_forecast(users, stages):
    nobody = UserFactory(username="norole", role=None)
    with pytest.raises(PermissionDeniedError):
        forecast(user=nobody, period=Q4)
    with pytest.raises(ValidationFailed):
        forecast(user=users.admin, period=Q4, group_by="stage")


def test_the_forecast_costs_the_same_queries_for_few_or_many_deals(users, stages):
    deal(stages["negotiation"], users.owner, "1")
    forecast(user=users.manager, period=Q4)  # the role's permissions are read once
    with CaptureQueriesContext(connection) as few:
        forecast(user=users.manager, period=Q4)
    for i in range(30):
        deal(stages["proposal"], users.teammate if i % 2 else users.owner, "10")
        deal(stages["won"], users.manager, "10", closed_at=at(2026, 11, 3))
    extra = UserFactory(username="extra", role=role("sales_rep"), team=users.owner.team)
    deal(stages["lead"], extra, "3")
    with CaptureQueriesContext(connection) as many:
        forecast(user=users.manager, period=Q4)
    assert len(many) == len(few)
