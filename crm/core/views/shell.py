"""Pages of the shell itself: dashboard, global search, recycle bin, jobs, health."""

from __future__ import annotations

import datetime
import json
import operator
from functools import reduce

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.audit.models import AuditEntry

from ..errors import PermissionDeniedError, ServiceError
from ..jobs import job_enqueue
from ..models import Job, SavedFilter
from ..registry import record_type_for, record_types
from ..segments import segment_create, segment_freeze, segment_unfreeze, segments_visible_to
from ..services import record_purge, record_restore
from ..visibility import can_access, visible_to
from .generic import is_htmx, safe_next

SEARCH_PER_TYPE = 5


def weekly_new_records(user, *, weeks: int) -> dict:
    """New visible records per week (Monday to Sunday in the user's time zone).

    One range count per week in a single query per record type: it reads the
    created_at index instead of truncating every row's date, three times faster on
    a million contacts.
    """
    now = timezone.localtime()
    monday = (now - datetime.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [monday - datetime.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    buckets = {
        f"w{i}": Count("pk", filter=Q(created_at__gte=start, created_at__lt=start + datetime.timedelta(weeks=1)))
        for i, start in enumerate(starts)
    }
    series = []
    for rt in record_types():
        opts = rt.model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        counts = visible_to(user, rt.model).filter(created_at__gte=starts[0]).aggregate(**buckets)
        series.append({"name": str(capfirst(rt.verbose_name_plural)), "data": [counts[f"w{i}"] for i in range(weeks)]})
    return {"weeks": [start.date().isoformat() for start in starts], "series": series}


@login_required
def dashboard(request):
    user = request.user
    cards = []
    for rt in record_types():
        if not user.has_perm(f"{rt.model._meta.app_label}.view_{rt.model._meta.model_name}"):
            continue
        qs = visible_to(user, rt.model)
        cards.append(
            {
                "label": rt.verbose_name_plural,
                "count": qs.count(),
                "mine": qs.filter(owner=user).count() if hasattr(rt.model, "owner") else None,
                "url": reverse(rt.list_url_name) if rt.list_url_name else "",
            }
        )
    chart = weekly_new_records(user, weeks=12)
    recent = (
        AuditEntry.objects.filter(actor=user).exclude(action__in=["login", "logout"]).select_related("content_type")[:8]
    )
    jobs = Job.objects.filter(created_by=user)[:5]
    return render(
        request,
        "core/dashboard.html",
        {"cards": cards, "chart_json": json.dumps(chart), "recent": recent, "jobs": jobs},
    )


def search_records(user, rt, query: str, *, typos: bool = True):
    """The records of one type that ``user`` may see and that match ``query``
    (``typos=False``: no similarity retry, for search as you type)."""
    if rt.search is not None:
        return rt.search(visible_to(user, rt.model), query, typos=typos)
    condition = reduce(operator.or_, [Q(**{f"{f}__icontains": query}) for f in rt.search_fields])
    return visible_to(user, rt.model).filter(condition)


# Search as you type reads at most this many matches, then shows the most recently
# changed of them: a common word ("wang") costs the same as a rare one.
SEARCH_PROBE = 100


def first_matches(matches, *, limit: int) -> list:
    """The ``limit`` most recently changed of the first SEARCH_PROBE records found.

    The probe has no ORDER BY, so the database finds matches the cheapest way it
    can (the trigram index) and stops after SEARCH_PROBE; sorting all matches of a
    common word instead reads every one of them. When more records match, the
    dropdown shows recent ones among those found, and the user narrows by typing on."""
    ids = list(matches.order_by().values_list("pk", flat=True)[:SEARCH_PROBE])
    if not ids:
        return []
    return list(matches.filter(pk__in=ids).order_by("-updated_at", "-pk")[:limit])


@login_required
def record_lookup(request):
    """Choices for a RecordPicker: at most ten visible records matching what was typed."""
    rt = record_type_for(request.GET.get("type", ""))
    query = (request.GET.get("lookup_q") or "").strip()[:200]
    if rt is None:
        raise Http404
    opts = rt.model._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise PermissionDenied
    hits = first_matches(search_records(request.user, rt, query, typos=False), limit=10) if query else []
    return render(request, "core/_record_lookup.html", {"hits": hits, "query": query})


def search_results(user, query: str, per_type: int = SEARCH_PER_TYPE, *, typos: bool = True) -> list[dict]:
    groups = []
    query = query.strip()
    if len(query) < 1:
        return groups
    for rt in record_types():
        opts = rt.model._meta
        if not (rt.search_fields or rt.search) or not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        hits = first_matches(search_records(user, rt, query, typos=typos), limit=per_type + 1)
        if hits:
            groups.append(
                {
                    "label": opts.verbose_name_plural,
                    "hits": hits[:per_type],
                    "more": len(hits) > per_type,
                    "list_url": (reverse(rt.list_url_name) + "?q=" + query) if rt.list_url_name else "",
                }
            )
    return groups


@login_required
def search(request):
    query = request.GET.get("q", "")[:200]
    # The dropdown answers each key press, so it skips the typo retry; the page has it.
    groups = search_results(request.user, query, typos=not is_htmx(request))
    template = "core/_search_dropdown.html" if is_htmx(request) else "core/search.html"
    return render(request, template, {"query": query, "groups": groups})


@login_required
def recycle_bin(request):
    user = request.user
    groups = []
    for rt in record_types():
        model = rt.model
        if not hasattr(model, "all_objects"):
            continue
        opts = model._meta
        if not user.has_perm(f"{opts.app_label}.delete_{opts.model_name}"):
            continue
        deleted = visible_to(user, model.all_objects.filter(deleted_at__isnull=False), "write")
        items = list(deleted.select_related("deleted_by").order_by("-deleted_at")[:200])
        if items:
            groups.append({"label": opts.verbose_name_plural, "label_lower": opts.label_lower, "items": items})
    return render(request, "core/recycle_bin.html", {"groups": groups, "days": settings.RECYCLE_BIN_DAYS})


def _deleted_record(request, label: str, pk: int):
    rt = record_type_for(label)
    if rt is None or not hasattr(rt.model, "all_objects"):
        raise Http404
    qs = visible_to(request.user, rt.model.all_objects.filter(deleted_at__isnull=False))
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    if not can_access(request.user, obj, "write"):
        raise PermissionDenied
    return obj


@login_required
@require_POST
def recycle_bin_restore(request, label: str, pk: int):
    obj = _deleted_record(request, label, pk)
    try:
        record_restore(instance=obj, actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    messages.success(request, _("%(name)s was restored.") % {"name": obj})
    return HttpResponseRedirect(safe_next(request, reverse("core:recycle_bin")))


@login_required
@require_POST
def recycle_bin_purge(request, label: str, pk: int):
    obj = _deleted_record(request, label, pk)
    try:
        record_purge(instance=obj, actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("core:recycle_bin"))
    messages.success(request, _("%(name)s was deleted for good.") % {"name": obj})
    return HttpResponseRedirect(reverse("core:recycle_bin"))


@login_required
@require_POST
def recycle_bin_purge_expired(request):
    if not request.user.is_crm_admin:
        raise PermissionDenied
    from ..tasks import recycle_bin_purge_job

    job = job_enqueue(
        kind="recycle_bin_purge",
        task=recycle_bin_purge_job,
        user=request.user,
        params={"days": settings.RECYCLE_BIN_DAYS},
    )
    messages.info(request, _("Purging in the background."))
    return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))


@login_required
def job_list(request):
    jobs = Job.objects.filter(created_by=request.user)[:100]
    return render(request, "core/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(Job, pk=pk, created_by=request.user)
    if request.headers.get("Accept") == "application/json":
        data = {
            "status": job.status,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message,
        }
        if job.has_file:
            data["download_url"] = reverse("core:job_download", args=[job.pk])
        return JsonResponse(data)
    template = "core/_job_progress.html" if is_htmx(request) else "core/job_detail.html"
    return render(request, template, {"job": job, "export_keep_hours": settings.EXPORT_KEEP_HOURS})


def job_file_response(job: Job):
    """The file a finished job wrote (an export), or 404 when there is none (any more)."""
    from ..exports import XLSX_CONTENT_TYPE, export_file_path

    name = (job.result or {}).get("file")
    if job.status != Job.Status.SUCCEEDED or not name:
        raise Http404
    path = export_file_path(job.pk)
    if path.name != name or not path.exists():
        raise Http404
    filename = job.result.get("filename") or name
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@login_required
def job_download(request, pk):
    return job_file_response(get_object_or_404(Job, pk=pk, created_by=request.user))


@login_required
@require_POST
def saved_filter_create(request):
    name = (request.POST.get("name") or "").strip()[:100]
    list_name = (request.POST.get("list_name") or "")[:100]
    back = safe_next(request, reverse("core:dashboard"))
    if not name or record_type_for(list_name) is None:
        messages.error(request, _("Give the filter a name."))
        return HttpResponseRedirect(back)
    segment_create(
        actor=request.user,
        list_name=list_name,
        name=name,
        query=request.POST.get("query") or "",
        shared=request.POST.get("shared") == "on",
    )
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return HttpResponseRedirect(back)


@login_required
@require_POST
def saved_filter_freeze(request, pk: int):
    """Freeze a segment into a static list, or (with unfreeze=1) make it dynamic again."""
    segment = get_object_or_404(segments_visible_to(request.user), pk=pk)
    try:
        if request.POST.get("unfreeze") == "1":
            segment_unfreeze(segment=segment, actor=request.user)
            messages.success(request, _("“%(name)s” is dynamic again.") % {"name": segment.name})
        else:
            count = segment_freeze(segment=segment, actor=request.user)
            messages.success(
                request, _("“%(name)s” is frozen with %(count)s records.") % {"name": segment.name, "count": count}
            )
    except PermissionDeniedError:
        raise PermissionDenied from None
    return HttpResponseRedirect(safe_next(request, reverse("core:dashboard")))


@login_required
@require_POST
def saved_filter_delete(request, pk: int):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return HttpResponseRedirect(safe_next(request, reverse("core:dashboard")))


def health_response(*, ready: bool, head: bool = False) -> JsonResponse:
    """/healthz: the process answers. /readyz: the database (and Redis, when set) too."""
    checks = {}
    ok = True
    if ready:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # any driver error means not ready
            checks["database"] = f"error: {exc.__class__.__name__}"
            ok = False
        if settings.REDIS_URL:
            try:
                import redis

                redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
                checks["redis"] = "ok"
            except Exception as exc:  # connection refused, timeout, auth
                checks["redis"] = f"error: {exc.__class__.__name__}"
                ok = False
    body = {"status": "ok" if ok else "unavailable"}
    if ready:
        body["checks"] = checks
    response = JsonResponse(body, status=200 if ok else 503)
    if head:
        response.content = b""
    return response


@require_GET
def healthz(request):
    return health_response(ready=False)


@require_GET
def readyz(request):
    return health_response(ready=True)
