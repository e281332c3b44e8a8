"""The duplicate scan as a job a user watches, and as the nightly scheduled task."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.jobs import job_task

from . import engine
from .services import duplicates_scan


@job_task("duplicates_scan", label=gettext_lazy("Duplicate scan"))
def duplicates_scan_job(job, progress):
    kinds = [k for k in job.params.get("kinds") or engine.KINDS if k in engine.KINDS]
    result = {}
    for kind in kinds:
        message = (
            _("Looking for duplicate companies…") if kind == engine.COMPANY else _("Looking for duplicate contacts…")
        )
        progress(0, total=None, message=message)
        result[kind] = duplicates_scan(kind=kind, progress=lambda done, total=None, _msg=None: progress(done, total))
    progress(1, total=1, message=_("Done."))
    return result


@shared_task(name="crm.duplicates.tasks.duplicates_scan_task")
def duplicates_scan_task():
    """Nightly: both record types, as the system."""
    return {kind: duplicates_scan(kind=kind) for kind in engine.KINDS}
