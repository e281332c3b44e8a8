"""The background job that runs an import (resumes from its checkpoint when redelivered)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from crm.core.jobs import job_task


@job_task("import_run", label=gettext_lazy("Import"))
def import_run_job(job, progress):
    from .models import ImportRun
    from .services import import_execute

    run = ImportRun.objects.get(pk=job.params["run"])
    try:
        run = import_execute(run=run, progress=progress)
    except Exception as exc:
        # The chunk that failed was rolled back; what came before stays, recorded, and the
        # run can be resumed or undone from its page.
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, message=str(exc)[:2000])
        raise
    return {
        "import": run.pk,
        "created": run.created_count,
        "updated": run.updated_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
    }
