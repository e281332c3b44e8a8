from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.http import QueryDict
from django.utils.text import capfirst
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


@job_task("export_file", label=gettext_lazy("Export to a file"))
def export_file_job(job, progress):
    """Write a large export to a file the user downloads from the job's page."""
    from .exports import export_file_path, write_export_file
    from .registry import record_type_for
    from .views.generic import pages_for

    record_type = record_type_for(job.params["list_name"])
    pages = pages_for(record_type.model) if record_type else None
    user = job.created_by
    if pages is None or user is None or not user.is_active or not user.has_perm(pages.perm("export")):
        raise ValueError(_("This export can no longer be made."))
    header, qs, table = pages.export_source(user=user, params=QueryDict(job.params.get("query", "")))
    total = int(job.params.get("rows") or 0)
    progress(0, total=total, message=_("Writing the file…"))

    def counted(rows):
        for done, row in enumerate(rows, start=1):
            if done % 1000 == 0:
                progress(done)
            yield row

    path = export_file_path(job.pk)
    rows = write_export_file(
        path, header, counted(table.export_rows(qs)), sheet_name=capfirst(pages.opts.verbose_name_plural)
    )
    message = ngettext("%(count)s row written", "%(count)s rows written", rows) % {"count": f"{rows:,}"}
    progress(rows, total=rows, message=message)
    return {"file": path.name, "rows": rows, "filename": pages.export_filename(job.params.get("format", "xlsx"))}


@shared_task(name="crm.core.tasks.export_files_purge_task")
def export_files_purge_task() -> int:
    """Scheduled: delete export files older than EXPORT_KEEP_HOURS."""
    from .exports import export_files_purge

    return export_files_purge(hours=settings.EXPORT_KEEP_HOURS)
