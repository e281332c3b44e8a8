from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext as _

from .jobs import job_task
from .services import recycle_bin_purge_expired


@shared_task(name="crm.core.tasks.recycle_bin_purge_task")
def recycle_bin_purge_task() -> int:
    """Scheduled: purge what has been in the recycle bin longer than RECYCLE_BIN_DAYS."""
    return recycle_bin_purge_expired(days=settings.RECYCLE_BIN_DAYS)


@job_task("recycle_bin_purge")
def recycle_bin_purge_job(job, progress):
    days = int(job.params.get("days", settings.RECYCLE_BIN_DAYS))
    progress(0, total=1, message=_("Purging records deleted more than %(days)s days ago") % {"days": days})
    purged = recycle_bin_purge_expired(days=days)
    progress(1, total=1, message=_("%(count)s records purged") % {"count": purged})
    return {"purged": purged}
