from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .jobs import job_task
from .services import database_optimize, recycle_bin_purge_expired


@shared_task(name="crm.core.tasks.recycle_bin_purge_task")
def recycle_bin_purge_task() -> int:
    """Scheduled: purge what has been in the recycle bin longer than RECYCLE_BIN_DAYS."""
    return recycle_bin_purge_expired(days=settings.RECYCLE_BIN_DAYS)


@job_task("recycle_bin_purge", label=gettext_lazy("Recycle bin clean-up"))
def recycle_bin_purge_job(job, progress):
    days = int(job.params.get("days", settings.RECYCLE_BIN_DAYS))
    progress(0, total=1, message=_("Purging records deleted more than %(days)s days ago") % {"days": days})
    purged = recycle_bin_purge_expired(days=days)
    message = ngettext("%(count)s record purged", "%(count)s records purged", purged) % {"count": purged}
    progress(1, total=1, message=message)
    return {"purged": purged}


@shared_task(name="crm.core.tasks.database_optimize_task")
def database_optimize_task() -> str:
    """Scheduled: keep the planner's statistics current as the data grows."""
    return database_optimize()
