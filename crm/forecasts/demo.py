"""Demo data for the forecasts: quotas for this and last quarter, and weekly snapshots.

This week's snapshot is the real one (``forecast_snapshot_take``). The weeks before
are made up from the real figures, drifting towards them, so that the "how the
forecast moved" chart and the accuracy of last quarter have something to show.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from .models import ForecastSnapshot, Quota
from .periods import PeriodKind, company_today, current_period, week_start
from .selectors import forecast
from .services import forecast_snapshot_take

CENT = Decimal("0.01")


def seed_forecasts(*, owners: list[int], seed: int = 2026) -> int:
    """Quotas for ``owners`` and their teams, and snapshots. Returns the snapshot rows made."""
    from django.contrib.auth import get_user_model

    if not owners:
        return 0
    rnd = random.Random(seed)  # noqa: S311 - demo data, not secrets
    this_quarter = current_period(PeriodKind.QUARTER)
    last_quarter = this_quarter.shifted(-1)
    people = list(get_user_model().objects.filter(pk__in=owners).values_list("pk", "team_id"))
    quotas, team_totals = [], {}
    for period in (last_quarter, this_quarter):
        for pk, team_id in people:
            amount = Decimal(rnd.randrange(30, 150) * 10_000)
            quotas.append(Quota(user_id=pk, period_kind=period.kind, period_start=period.start, amount=amount))
            if team_id:
                team_totals[(team_id, period)] = team_totals.get((team_id, period), Decimal(0)) + amount
    quotas += [
        Quota(team_id=team_id, period_kind=period.kind, period_start=period.start, amount=amount)
        for (team_id, period), amount in team_totals.items()
    ]
    Quota.objects.bulk_create(quotas, batch_size=1000, ignore_conflicts=True)

    written = forecast_snapshot_take(actor=None)
    now = timezone.now()
    rows = []
    this_week = week_start(company_today())
    for period in (last_quarter, this_quarter):
        result = forecast(user=None, period=period, group_by="owner")
        weeks = []
        day = week_start(period.start)
        while day < min(period.end, this_week):
            weeks.append(day)
            day += datetime.timedelta(weeks=1)
        for row in result.rows:
            if row.user_id is None:
                continue
            f = row.figures
            final = f.closed_won if period == last_quarter else f.commit
            for i, week in enumerate(weeks):
                progress = Decimal(i + 1) / Decimal(len(weeks) + 1)
                drift = Decimal(rnd.uniform(0.75, 1.35))
                commit = (final * (drift + (1 - drift) * progress)).quantize(CENT)
                won = (f.closed_won * progress).quantize(CENT)
                rows.append(
                    ForecastSnapshot(
                        week_start=week,
                        period_kind=period.kind,
                        period_start=period.start,
                        owner_id=row.user_id,
                        pipeline=f.pipeline,
                        weighted=(commit * Decimal("0.8")).quantize(CENT),
                        commit=commit,
                        best_case=(commit * Decimal("1.4")).quantize(CENT),
                        closed_won=won,
                        quota=row.quota,
                        taken_at=now,
                    )
                )
    ForecastSnapshot.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return written + len(rows)
