from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.jobs import job_task

from .tiers import tiers_recompute


@shared_task(name="crm.contacts.tasks.tiers_recompute_task")
def tiers_recompute_task() -> dict:
    """Scheduled: score every customer again from their purchases."""
    return tiers_recompute()


@job_task("tiers_recompute", label=gettext_lazy("Value tier recomputation"))
def tiers_recompute_job(job, progress):
    progress(0, message=_("Scoring customers…"))
    result = tiers_recompute(progress=progress)
    changed = sum(part["changed"] for part in result.values())
    progress(
        sum(part["customers"] for part in result.values()),
        message=_("%(changed)s customers changed, %(moves)s changed tier")
        % {"changed": changed, "moves": sum(part["tier_changes"] for part in result.values())},
    )
    return result
