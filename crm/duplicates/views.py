"""The review page: likely duplicates side by side, merge or "not a duplicate"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import NotFoundError, PermissionDeniedError, ServiceError
from crm.core.jobs import job_enqueue
from crm.core.models import Job
from crm.core.pagination import paginate, parse_int

from . import engine, scan, selectors, services
from .models import PairKind, PairStatus
from .tasks import duplicates_scan_job

PER_PAGE = 25
COMPARE_FIELDS = {
    engine.CONTACT: ("name", "company", "title", "email", "phone", "emails", "phones", "owner", "created_at"),
    engine.COMPANY: (
        "name",
        "registration_number",
        "email",
        "phone",
        "website",
        "region",
        "address",
        "owner",
        "created_at",
    ),
}


def _rows(kind: str, a, b) -> list[dict]:
    model = scan.model_for(kind)
    rows = []
    for name in COMPARE_FIELDS[kind]:
        field = model._meta.get_field(name)
        va, vb = getattr(a, name), getattr(b, name)
        sa = "" if va in (None, "", []) else str(va)
        sb = "" if vb in (None, "", []) else str(vb)
        if name == "created_at":
            from django.utils.formats import date_format
            from django.utils.timezone import localtime

            sa, sb = date_format(localtime(va), "SHORT_DATE_FORMAT"), date_format(localtime(vb), "SHORT_DATE_FORMAT")
        rows.append(
            {
                "label": capfirst(field.verbose_name),
                "a": sa,
                "b": sb,
                "same": bool(sa) and sa.lower() == sb.lower(),
            }
        )
    return rows


@login_required
def review(request):
    kinds = selectors.kinds_visible_to(request.user)
    if not kinds:
        raise PermissionDenied
    kind = request.GET.get("type", "")
    kind = kind if kind in kinds else ""
    status = request.GET.get("status", PairStatus.OPEN)
    status = status if status in PairStatus.values else PairStatus.OPEN
    min_score = parse_int(request.GET.get("min_score"), engine.DEFAULT_MIN_SCORE, minimum=0, maximum=100)
    qs = selectors.pairs_visible_to(request.user, kind=kind or None, min_score=min_score, status=status)
    page = paginate(qs, page=request.GET.get("page"), per_page=PER_PAGE)
    records = selectors.records_for_pairs(request.user, page.object_list)
    items = []
    for pair in page.object_list:
        a, b = records.get((pair.kind, pair.a_id)), records.get((pair.kind, pair.b_id))
        if a is None or b is None:
            continue
        model = scan.model_for(pair.kind)
        items.append(
            {
                "pair": pair,
                "a": a,
                "b": b,
                "type_label": capfirst(model._meta.verbose_name_plural),
                "reasons": selectors.reasons_text(pair.reasons),
                "rows": _rows(pair.kind, a, b),
                "merge_url": reverse(f"contacts:{model._meta.model_name}_merge")
                + "?"
                + urlencode({"ids": f"{pair.a_id},{pair.b_id}"}),
            }
        )
    page_query = urlencode({k: v for k, v in (("type", kind), ("min_score", min_score), ("status", status)) if v != ""})
    context = {
        "items": items,
        "page": page,
        "page_query": page_query,
        "kind": kind,
        "kinds": [(k, PairKind(k).label) for k in kinds],
        "statuses": PairStatus.choices,
        "status": status,
        "min_score": min_score,
        "default_min_score": engine.DEFAULT_MIN_SCORE,
        "is_admin": request.user.is_crm_admin,
        "last_job": Job.objects.filter(kind="duplicates_scan").order_by("-created_at").first()
        if request.user.is_crm_admin
        else None,
        "next": request.get_full_path(),
    }
    return render(request, "duplicates/review.html", context)


def _back(request) -> str:
    from crm.core.views.generic import safe_next

    return safe_next(request, reverse("duplicates:review"))


@login_required
@require_POST
def not_duplicate(request, pk: int):
    pair = selectors.pair_visible_or_none(request.user, pk)
    if pair is None:
        raise Http404
    try:
        services.pair_mark_not_duplicate(pair=pair, actor=request.user)
    except NotFoundError:
        raise Http404 from None
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Marked as not a duplicate. This pair will not be proposed again."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def reopen(request, pk: int):
    pair = selectors.pair_visible_or_none(request.user, pk)
    if pair is None:
        raise Http404
    try:
        services.pair_reopen(pair=pair, actor=request.user)
    except NotFoundError:
        raise Http404 from None
    except PermissionDeniedError:
        raise PermissionDenied from None
    messages.success(request, _("The pair is open for review again."))
    return HttpResponseRedirect(_back(request))


@login_required
@require_POST
def start_scan(request):
    if not request.user.is_crm_admin:
        raise PermissionDenied
    kinds = [k for k in request.POST.getlist("type") if k in engine.KINDS] or list(engine.KINDS)
    job = job_enqueue(kind="duplicates_scan", task=duplicates_scan_job, user=request.user, params={"kinds": kinds})
    messages.info(request, _("Looking for duplicates in the background."))
    return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))
