"""The demo data: quotas and snapshots that the pages can show."""

from __future__ import annotations

import pytest

from crm.forecasts.demo import seed_forecasts
from crm.forecasts.models import ForecastSnapshot, Quota
from crm.forecasts.periods import current_period
from crm.forecasts.selectors import forecast, forecast_history

from .factories import deal

pytestmark = pytest.mark.django_db


def test_seed_forecasts_gives_quotas_and_a_history(users, stages):
    import datetime

    quarter = current_period()
    deal(stages["negotiation"], users.owner, "5000", expected_close_date=quarter.start + datetime.timedelta(days=20))
    made = seed_forecasts(owners=[users.owner.pk, users.teammate.pk])
    assert made == ForecastSnapshot.objects.count() > 0
    assert Quota.objects.filter(user=users.owner).count() == 2
    assert Quota.objects.filter(team=users.owner.team).count() == 2
    assert forecast(user=users.admin, period=quarter).total.quota is not None
    history = forecast_history(user=users.admin, period=quarter.shifted(-1))
    assert history.points and history.actual_closed_won is not None
