"""The import wizard: upload, map, preview, run (with progress), history, errors file, undo."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from crm.core.errors import NotFoundError, ServiceError
from crm.core.exports import stream_csv

from . import services
from .files import preview_rows
from .models import ImportRun, MatchRule
from .targets import all_field_specs, target_choices, target_for
from .uploads import declared_too_large, use_limited_handlers


def _run_or_404(request, pk) -> ImportRun:
    try:
        return services.import_get(actor=request.user, pk=pk)
    except NotFoundError:
        raise Http404 from None


def _list_context(request, **extra):
    labels = dict(target_choices())
    runs = list(services.imports_visible_to(request.user)[:100])
    for run in runs:
        run.type_label = labels.get(run.record_type, run.record_type)
    return {
        "runs": runs,
        "types": target_choices(),
        "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        **extra,
    }


@login_required
def import_list(request):
    return render(request, "imports/import_list.html", _list_context(request))


def _refuse_upload(request, message: str, status: int):
    context = _list_context(request, upload_error=message, chosen_type=request.GET.get("type", ""))
    return render(request, "imports/import_list.html", context, status=status)


@csrf_exempt  # checked below, once the size is known to be acceptable
@login_required
def import_upload(request):
    """The upload: refused from its Content-Length before the body is read, then read
    through a handler that stops at IMPORT_MAX_BYTES."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("imports:import_list"))
    limit_mb = settings.IMPORT_MAX_BYTES // (1024 * 1024)
    too_large = _("The file is larger than the %(limit)s MB an import accepts. Split it into smaller files.") % {
        "limit": limit_mb
    }
    if declared_too_large(request):
        return _refuse_upload(request, too_large, 413)
    limiter = use_limited_handlers(request)
    return _upload_checked(request, limiter, too_large)


@csrf_protect
def _upload_checked(request, limiter, too_large: str):
    upload = request.FILES.get("file")
    if limiter.too_large:
        return _refuse_upload(request, too_large, 413)
    if upload is None:
        return _refuse_upload(request, _("Choose a file to import."), 400)
    try:
        run = services.import_create(
            actor=request.user,
            record_type=request.POST.get("record_type", ""),
            name=upload.name,
            chunks=upload.chunks(),
            size=upload.size,
        )
    except ServiceError as exc:
        message = " ".join(m for msgs in exc.fields.values() for m in msgs) or str(exc.message)
        return _refuse_upload(request, message, exc.status)
    return HttpResponseRedirect(reverse("imports:import_detail", args=[run.pk]))


def _mapping_rows(run: ImportRun, target, samples: list[list[str]]):
    specs = all_field_specs(target)
    rows = []
    for index, header in enumerate(run.headers):
        rows.append(
            {
                "index": index,
                "header": header,
                "chosen": run.mapping.get(str(index), ""),
                "samples": [s[index] for s in samples if index < len(s) and s[index]][:3],
            }
        )
    return rows, specs


@login_required
def import_detail(request, pk):
    run = _run_or_404(request, pk)
    target = target_for(run.record_type)
    if target is None:
        raise Http404
    labels = {s.key: s.label for s in all_field_specs(target)}
    shown = []
    for error in run.row_errors.all()[:50]:
        messages_ = [(labels.get(k, "") if k != "__all__" else "", m) for k, msgs in error.errors.items() for m in msgs]
        shown.append({"row": error.row, "messages": messages_})
    context = {"run": run, "target": target, "errors_shown": shown}
    status = 200
    if run.status == ImportRun.Status.DRAFT:
        if request.method == "POST":
            mapping = {key[4:]: value for key, value in request.POST.items() if key.startswith("col_") and value}
            try:
                services.import_configure(
                    run=run,
                    actor=request.user,
                    mapping=mapping,
                    match_rule=request.POST.get("match_rule", ""),
                    match_on=request.POST.get("match_on", ""),
                    phone_region=request.POST.get("phone_region", "CN"),
                )
            except ServiceError as exc:
                context["form_errors"] = [m for msgs in exc.fields.values() for m in msgs] or [str(exc.message)]
                status = exc.status
                # Keep what the user chose on the page they get back.
                run.mapping = mapping
                run.match_rule = request.POST.get("match_rule", run.match_rule)
                run.match_on = request.POST.get("match_on", run.match_on)
            else:
                return HttpResponseRedirect(reverse("imports:import_detail", args=[run.pk]) + "?preview=1#preview")
        samples = [cells for _n, cells in preview_rows(services.run_path(run), services.table_info(run), 3)]
        rows, specs = _mapping_rows(run, target, samples)
        context.update(
            mapping_rows=rows,
            specs=specs,
            match_rules=MatchRule.choices,
            match_choices=services.match_choices(target),
        )
        if request.GET.get("preview") and status == 200:
            context["preview"] = services.import_preview(run=run, actor=request.user)
            context["preview_failed"] = sum(1 for r in context["preview"] if r["action"] == "failed")
    return render(request, "imports/import_detail.html", context, status=status)


@login_required
def import_progress(request, pk):
    run = _run_or_404(request, pk)
    return render(request, "imports/_progress.html", {"run": run})


@login_required
@require_POST
def import_start(request, pk):
    run = _run_or_404(request, pk)
    try:
        services.import_start(run=run, actor=request.user, dry_run=request.POST.get("dry_run") == "1")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("imports:import_detail", args=[run.pk]))


@login_required
@require_POST
def import_undo(request, pk):
    run = _run_or_404(request, pk)
    try:
        result = services.import_undo(run=run, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Import undone: %(deleted)s records deleted, %(restored)s restored.") % result,
        )
    return HttpResponseRedirect(reverse("imports:import_detail", args=[run.pk]))


@login_required
def import_errors(request, pk):
    run = _run_or_404(request, pk)
    header, rows = services.import_error_rows(run)
    response = StreamingHttpResponse(stream_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response
