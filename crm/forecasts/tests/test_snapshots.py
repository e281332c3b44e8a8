"""Weekly snapshots: idempotent, scheduled, started by admins, and the accuracy of a past period."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from crm.accounts.models import Team
from crm.core.errors import PermissionDeniedError
from crm.core.models import Job
from crm.forecasts.models import ForecastSnapshot
from crm.forecasts.periods import parse_period
from crm.forecasts.selectors import forecast_history
from crm.forecasts.services import forecast_snapshot_take, quota_set
from crm.forecasts.tasks import forecast_snapshot_task

from .factories import SnapshotFactory, at, deal

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 18)  # a Wednesday


def test_a_snapshot_per_week_period_and_owner_or_team_and_rerunning_updates(users, stages):
    deal(stages["negotiation"], users.owner, "1000")
    deal(stages["won"], users.teammate, "300", closed_at=at(2026, 11, 2))
    quota_set(actor=None, period=parse_period("2026-Q4"), amount=5000, user=users.owner)
    written = forecast_snapshot_take(day=DAY)
    rows = ForecastSnapshot.objects.filter(period_kind="quarter", period_start=datetime.date(2026, 10, 1))
    mine = rows.get(owner=users.owner)
    assert mine.week_start == datetime.date(2026, 11, 16)
    assert (mine.best_case, mine.commit, mine.weighted, mine.quota) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("800.00"),
        Decimal("5000.00"),
    )
    east = Team.objects.get(name="East")
    assert rows.get(team=east).best_case == Decimal("1300.00")
    assert {s.period_kind for s in ForecastSnapshot.objects.all()} == {"month", "quarter", "year"}
    count = ForecastSnapshot.objects.count()
    assert written == count

    deal(stages["negotiation"], users.owner, "500")
    forecast_snapshot_take(day=DAY + datetime.timedelta(days=2))  # same week: updated
    assert ForecastSnapshot.objects.count() == count
    assert rows.get(owner=users.owner).best_case == Decimal("1500.00")
    forecast_snapshot_take(day=DAY + datetime.timedelta(days=7))  # next week: new rows
    assert ForecastSnapshot.objects.count() == 2 * count


def test_the_database_refuses_a_second_row_for_the_same_week(users):
    SnapshotFactory(owner=users.owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        SnapshotFactory(owner=users.owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        SnapshotFactory(owner=users.owner, team=Team.objects.get(name="East"), week_start=datetime.date(2026, 10, 12))


def test_celery_beat_runs_it_weekly(users, stages):
    entry = settings.CELERY_BEAT_SCHEDULE["forecast-snapshot"]
    assert entry["task"] == forecast_snapshot_task.name
    assert entry["schedule"].day_of_week == {1}
    deal(stages["negotiation"], users.owner, "1")
    assert forecast_snapshot_task.apply().get() > 0


def test_admins_take_one_on_demand_as_a_job(users, stages, api_for, client_for, django_capture_on_commit_callbacks):
    deal(stages["negotiation"], users.owner, "1")
    with pytest.raises(PermissionDeniedError):
        forecast_snapshot_take(actor=users.manager)
    assert api_for(users.manager).post("/api/v1/forecast-snapshots/take/").status_code == 403
    assert client_for(users.manager).post("/forecasts/history/snapshot/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(users.admin).post("/api/v1/forecast-snapshots/take/")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.status == Job.Status.SUCCEEDED and job.result["rows"] > 0
    assert ForecastSnapshot.objects.filter(owner=users.owner).exists()
    with django_capture_on_commit_callbacks(execute=True):
        page = client_for(users.admin).post("/forecasts/history/snapshot/")
    assert page.status_code == 302 and "/jobs/" in page["Location"]


def test_how_the_forecast_moved_and_its_accuracy(users, stages):
    q3 = parse_period("2026-Q3")
    for week, commit, weighted in ((datetime.date(2026, 7, 6), 400, 200), (datetime.date(2026, 9, 21), 1000, 800)):
        for owner in (users.owner, users.outsider):
            SnapshotFactory(
                owner=owner,
                period_start=q3.start,
                week_start=week,
                commit=Decimal(commit),
                weighted=Decimal(weighted),
                best_case=Decimal(commit) * 2,
            )
    deal(stages["won"], users.owner, "800", closed_at=at(2026, 9, 10))
    deal(stages["won"], users.outsider, "1", closed_at=at(2026, 9, 10))
    history = forecast_history(user=users.owner, period=q3)
    assert [p.commit for p in history.points] == [Decimal("400.00"), Decimal("1000.00")]  # the outsider's are hidden
    assert history.actual_closed_won == Decimal("800.00")
    assert [p.accuracy_commit for p in history.points] == [Decimal("200.0"), Decimal("80.0")]
    assert [p.accuracy_weighted for p in history.points] == [Decimal("400.0"), Decimal("100.0")]
    admin = forecast_history(user=users.admin, period=q3)
    assert admin.points[1].commit == Decimal("2000.00")
    current = forecast_history(user=users.admin, period=parse_period("2099-Q1"))
    assert current.points == [] and current.actual_closed_won is None


def test_snapshots_through_the_api_follow_reach(users, api_for):
    SnapshotFactory(owner=users.owner)
    SnapshotFactory(owner=users.outsider)
    listed = api_for(users.teammate).get("/api/v1/forecast-snapshots/", {"period": "2026-Q4"})
    assert listed.status_code == 200
    assert [r["owner"] for r in listed.json()["results"]] == [users.owner.pk]
    history = api_for(users.admin).get("/api/v1/forecast-snapshots/history/", {"period": "2026-Q4"})
    assert history.status_code == 200
    assert history.json()["weeks"][0]["week_start"] == "2026-10-05"
    bad = api_for(users.admin).get("/api/v1/forecast-snapshots/history/", {"period": "soon"})
    assert bad.status_code == 400 and "period" in bad.json()["error"]["fields"]
