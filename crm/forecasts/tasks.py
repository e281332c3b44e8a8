"""The weekly forecast snapshot: a beat task, and the same work as a job admins start."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.jobs import job_task

from .services import forecast_snapshot_take

SNAPSHOT_JOB = "forecast_snapshot"


@shared_task(name="crm.forecasts.tasks.forecast_snapshot_task")
def forecast_snapshot_task() -> int:
    """Celery beat runs this weekly; running it twice in a week updates the week's rows."""
    return forecast_snapshot_take(actor=None)


@job_task(SNAPSHOT_JOB, label=gettext_lazy("Forecast snapshot"))
def forecast_snapshot_job(job, progress):
    progress(0, total=1, message=_("Taking the forecast snapshot…"))
    written = forecast_snapshot_take(actor=None)
    progress(1, total=1, message=_("Snapshot taken."))
    return {"rows": written}
