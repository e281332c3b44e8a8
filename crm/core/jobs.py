"""Background jobs a user can watch: a Job row plus a Celery task that updates it.

``job_enqueue`` creates the row and sends the task only after the transaction
commits. ``job_task`` wraps the task body: it marks the job running, hands it a
``progress`` callback, and records success or failure. A job that already finished
is not run again, so a redelivered message (acks_late) does no harm.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from .context import bind_context, current_context
from .models import JOB_KIND_LABELS, Job

logger = logging.getLogger(__name__)


def job_enqueue(*, kind: str, task, user=None, params: dict | None = None) -> Job:
    ctx = current_context()
    # The worker writes progress messages in the language of the page that started the job.
    params = {
        "_language": translation.get_language() or settings.LANGUAGE_CODE,
        "_time_zone": timezone.get_current_timezone_name(),
        **(params or {}),
    }
    job = Job.objects.create(kind=kind, created_by=user, params=params, request_id=ctx.request_id if ctx else "")
    transaction.on_commit(lambda: task.delay(str(job.pk)))
    return job


class Progress:
    """Writes progress at most every ``every`` items, and always at the end."""

    def __init__(self, job: Job, every: int = 200):
        self.job = job
        self.every = every

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        fields = {"done": done}
        if total is not None:
            fields["total"] = total
        if message is not None:
            fields["message"] = message
        last = self.job.__dict__.get("_last_written", -1)
        if total is not None or message is not None or done - last >= self.every or done == self.job.total:
            Job.objects.filter(pk=self.job.pk).update(**fields)
            self.job.__dict__["_last_written"] = done
        for key, value in fields.items():
            setattr(self.job, key, value)


def _zone(name: str | None):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def job_task(kind: str, *, label=None, **task_options) -> Callable:
    """Declare a job's task body: ``def body(job, progress) -> dict`` (its result).

    ``label`` is the (lazily translated) name users see for jobs of this kind.
    """
    if label is not None:
        JOB_KIND_LABELS[kind] = label

    def decorator(body: Callable[[Job, Progress], dict | None]):
        @shared_task(name=f"crm.jobs.{kind}", **task_options)
        @functools.wraps(body)
        def run(job_id: str):
            with transaction.atomic():
                job = Job.objects.select_for_update().filter(pk=job_id).first()
                if job is None or job.is_finished:
                    return
                job.status = Job.Status.RUNNING
                job.started_at = job.started_at or timezone.now()
                job.save(update_fields=["status", "started_at"])
            language = job.params.get("_language") or settings.LANGUAGE_CODE
            zone = _zone(job.params.get("_time_zone"))
            with (
                bind_context(request_id=job.request_id or None),
                translation.override(language),
                timezone.override(zone),
            ):
                try:
                    result = body(job, Progress(job)) or {}
                except Exception as exc:
                    logger.exception("job %s failed", job.pk)
                    Job.objects.filter(pk=job.pk).update(
                        status=Job.Status.FAILED, message=str(exc)[:2000], finished_at=timezone.now()
                    )
                    return
            Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, result=result, finished_at=timezone.now())

        run.kind = kind
        return run

    return decorator
