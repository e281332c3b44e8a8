"""The deals board: one column per stage of a pipeline, cards loaded lazily per
column, totals from one aggregate query, moves through deal_move_stage."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ServiceError
from crm.core.pagination import parse_int
from crm.core.views.generic import is_htmx
from crm.core.visibility import can_access, get_visible_or_404, visible_to

from . import selectors, services
from .filtersets import DealFilterSet
from .forms import QuickEditForm
from .models import Deal, DealStatus, Pipeline, Stage

CARDS_PER_LOAD = 20
# Won and lost columns show the deals closed this recently; older ones are in the list.
CLOSED_DAYS = 30
BOARD_FILTERS = ("owner", "team", "close_after", "close_before", "min_amount", "max_amount", "q", "stale")


@dataclass
class Column:
    stage: Stage
    count: int = 0
    # currency -> (sum of amounts, weighted sum)
    totals: dict = field(default_factory=dict)
    cards: list = field(default_factory=list)
    more: bool = False

    @property
    def is_closed(self) -> bool:
        return self.stage.is_closed


def _pipeline(request) -> Pipeline:
    raw = request.GET.get("pipeline")
    if raw:
        pipeline = Pipeline.objects.filter(pk=parse_int(raw, 0, minimum=0)).first()
        if pipeline is None:
            raise Http404
        return pipeline
    return selectors.pipeline_default()


def board_queryset(request, pipeline: Pipeline):
    """The visible deals of the pipeline that match the board's filters, and the
    bound FilterSet (for the form)."""
    params = request.GET.copy()
    for key in list(params):
        if key not in BOARD_FILTERS:
            params.pop(key)
    base = visible_to(request.user, Deal).filter(pipeline=pipeline)
    fs = DealFilterSet(params or None, queryset=base, request=request)
    qs = fs.qs if fs.is_bound and fs.is_valid() else base
    return fs, qs


def _on_board(qs, *, now=None):
    """Open deals, and the deals closed in the last CLOSED_DAYS days."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=CLOSED_DAYS)
    return qs.filter(Q(status=DealStatus.OPEN) | Q(closed_at__gte=cutoff))


def column_totals(qs, stages: list[Stage]) -> dict[int, tuple[int, dict]]:
    """{stage id: (count, {currency: (amount, weighted amount)})} in one grouped query.

    The probability is the stage's, so the weighted sum is the column's sum times it.
    """
    probability = {s.pk: decimal.Decimal(s.probability) / 100 for s in stages}
    found: dict[int, tuple[int, dict]] = {}
    rows = _on_board(qs).order_by().values("stage_id", "currency").annotate(n=Count("pk"), total=Sum("amount"))
    for row in rows:
        count, totals = found.get(row["stage_id"], (0, {}))
        total = row["total"] or decimal.Decimal(0)
        weighted = (total * probability.get(row["stage_id"], 0)).quantize(decimal.Decimal("0.01"))
        totals[row["currency"]] = (total, weighted)
        found[row["stage_id"]] = (count + row["n"], totals)
    return found


def _cards(qs, stage: Stage, offset: int) -> tuple[list[Deal], bool]:
    """A page of one column's cards. The same deals as _on_board() (a deal's status
    follows its stage), written per kind so each reads its partial index in order."""
    qs = qs.filter(stage=stage).select_related("company", "owner")
    if stage.is_closed:
        cutoff = timezone.now() - datetime.timedelta(days=CLOSED_DAYS)
        qs = qs.filter(closed_at__gte=cutoff).order_by("-closed_at", "-pk")
    else:
        qs = qs.filter(status=DealStatus.OPEN).order_by("expected_close_date", "pk")
    cards = list(qs[offset : offset + CARDS_PER_LOAD + 1])
    return cards[:CARDS_PER_LOAD], len(cards) > CARDS_PER_LOAD


def _card_urls():
    """URL patterns for the cards, reversed once per request rather than three times a card."""
    return {
        name: reverse(view, args=[0]).replace("/0/", "/{pk}/")
        for name, view in (
            ("detail_url", "deals:deal_detail"),
            ("move_url", "deals:board_move"),
            ("quick_url", "deals:board_quick_edit"),
        )
    }


def _stage_options(stages: list[Stage]) -> dict[int, str]:
    """The card's "move to stage" options, one string per current stage, built once."""
    options = {}
    for current in stages:
        options[current.pk] = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((s.pk, mark_safe(" selected") if s.pk == current.pk else "", str(s)) for s in stages),
        )
    return options


class CardMarker:
    """What a card shows besides the deal's fields (stale flag, weighted amount, stage
    options, links), with everything that is the same for every card worked out once
    per request."""

    def __init__(self, pipeline: Pipeline, stages: list[Stage]):
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.stale_days = pipeline.stale_after_days
        self.probability = {s.pk: s.probability for s in stages}
        self.options = _stage_options(stages)
        self.urls = _card_urls()

    def __call__(self, cards: list[Deal]) -> list[Deal]:
        for deal in cards:
            deal.stale_reason = selectors.deal_stale_reason(
                deal, stale_days=self.stale_days, now=self.now, today=self.today
            )
            deal.weighted = (deal.amount * self.probability.get(deal.stage_id, 0) / 100).quantize(
                decimal.Decimal("0.01")
            )
            deal.stage_options = self.options.get(deal.stage_id, "")
            for name, pattern in self.urls.items():
                setattr(deal, name, pattern.replace("{pk}", str(deal.pk)))
        return cards


def _mark(cards: list[Deal], pipeline: Pipeline, stages: list[Stage]) -> list[Deal]:
    return CardMarker(pipeline, stages)(cards)


def _filter_query(request) -> str:
    params = request.GET.copy()
    for key in list(params):
        if key not in (*BOARD_FILTERS, "pipeline"):
            params.pop(key)
    return params.urlencode()


def _require_view(request) -> None:
    if not request.user.has_perm("deals.view_deal"):
        raise PermissionDenied


@login_required
def board(request):
    _require_view(request)
    try:
        pipeline = _pipeline(request)
    except NotFoundError:
        # No pipeline at all (a database emptied by hand): say so rather than fail.
        return render(request, "deals/board_empty.html")
    stages = list(selectors.pipeline_stages(pipeline))
    fs, qs = board_queryset(request, pipeline)
    totals = column_totals(qs, stages)
    columns = []
    mark = CardMarker(pipeline, stages)
    for stage in stages:
        count, money = totals.get(stage.pk, (0, {}))
        cards, more = _cards(qs, stage, 0) if count else ([], False)
        columns.append(Column(stage=stage, count=count, totals=money, cards=mark(cards), more=more))
    context = {
        "pipeline": pipeline,
        "pipelines": selectors.pipelines_active() | Pipeline.objects.filter(pk=pipeline.pk),
        "columns": columns,
        "open_columns": [c for c in columns if not c.is_closed],
        "closed_columns": [c for c in columns if c.is_closed],
        "stages": stages,
        "filterset": fs,
        "filter_fields": [fs.form[name] for name in BOARD_FILTERS if name != "q"],
        "filter_query": _filter_query(request),
        "filters_active": sum(1 for name in BOARD_FILTERS if name != "q" and request.GET.get(name)),
        "can_change": request.user.has_perm("deals.change_deal"),
        "closed_days": CLOSED_DAYS,
        "cards_per_load": CARDS_PER_LOAD,
    }
    return render(request, "deals/board.html", context)


@login_required
def board_column(request, stage_id: int):
    """More cards of one column ("load more"), with the board's filters."""
    _require_view(request)
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    pipeline = stage.pipeline
    _fs, qs = board_queryset(request, pipeline)
    offset = parse_int(request.GET.get("offset"), 0, minimum=0)
    cards, more = _cards(qs, stage, offset)
    stages = list(selectors.pipeline_stages(pipeline))
    context = {
        "cards": _mark(cards, pipeline, stages),
        "stage": stage,
        "more": more,
        "next_offset": offset + CARDS_PER_LOAD,
        "filter_query": _filter_query(request),
        "can_change": request.user.has_perm("deals.change_deal"),
    }
    return render(request, "deals/_board_cards.html", context)


def _headers(request, pipeline: Pipeline, stage_ids: set[int]) -> dict[str, str]:
    """The re-rendered totals of the columns a change touched."""
    stages = list(selectors.pipeline_stages(pipeline))
    _fs, qs = board_queryset(request, pipeline)
    totals = column_totals(qs.filter(stage_id__in=sorted(stage_ids)), stages)
    headers = {}
    for stage in stages:
        if stage.pk in stage_ids:
            count, money = totals.get(stage.pk, (0, {}))
            column = Column(stage=stage, count=count, totals=money)
            headers[str(stage.pk)] = render_to_string("deals/_board_totals.html", {"column": column}, request=request)
    return headers


def _error(exc: ServiceError) -> JsonResponse:
    fields = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    message = " ".join(m for v in fields.values() for m in v) or str(exc.message)
    return JsonResponse({"error": {"code": exc.code, "message": message, "fields": fields}}, status=exc.status)


@login_required
@require_POST
def board_move(request, pk: int):
    """Drop a card on a column: the move service, answered in JSON for the board's
    script (new totals of both columns, or a translated error)."""
    _require_view(request)
    try:
        deal = get_visible_or_404(request.user, Deal, pk=pk)
    except Http404:
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404)
    old_stage = deal.stage_id
    version = request.POST.get("version")
    try:
        deal = services.deal_move_stage(
            deal=deal,
            stage=request.POST.get("stage"),
            actor=request.user,
            reason=request.POST.get("reason"),
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except ConflictError as exc:
        return _error(exc)
    except ServiceError as exc:
        return _error(exc)
    pipeline = Pipeline.objects.get(pk=deal.pipeline_id)
    return JsonResponse(
        {
            "ok": True,
            "version": deal.version,
            "stage": deal.stage_id,
            "status": deal.status,
            "message": _("%(name)s moved to %(stage)s.") % {"name": deal, "stage": deal.stage},
            "headers": _headers(request, pipeline, {old_stage, deal.stage_id}),
        }
    )


@login_required
def board_quick_edit(request, pk: int):
    """Edit a card's amount, close date and next step in place (an HTMX fragment)."""
    _require_view(request)
    deal = get_visible_or_404(request.user, Deal.objects.select_related("company", "owner", "stage", "pipeline"), pk=pk)
    if not (request.user.has_perm("deals.change_deal") and can_access(request.user, deal, "write")):
        raise PermissionDenied
    stages = list(selectors.pipeline_stages(deal.pipeline_id))
    context = {"deal": deal, "stages": stages, "filter_query": _filter_query(request), "can_change": True}
    if request.method != "POST":
        if request.GET.get("cancel"):
            context["card"] = _mark([deal], deal.pipeline, stages)[0]
            return render(request, "deals/_board_card.html", context)
        context["form"] = QuickEditForm.for_deal(deal)
        return render(request, "deals/_board_quick_edit.html", context)
    form = QuickEditForm.for_deal(deal, request.POST)
    status = 400
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            deal = services.deal_update(
                instance=deal, actor=request.user, data=data, expected_version=form.cleaned_data.get("version")
            )
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ConflictError as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except ServiceError as exc:
            for name, errors in exc.fields.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            deal = Deal.objects.select_related("company", "owner", "stage", "pipeline").get(pk=deal.pk)
            context.update(card=_mark([deal], deal.pipeline, stages)[0], deal=deal)
            body = render_to_string("deals/_board_card.html", context, request=request)
            for stage_id, html in _headers(request, deal.pipeline, {deal.stage_id}).items():
                body += f'<div hx-swap-oob="innerHTML:#totals-{stage_id}">{html}</div>'
            return HttpResponse(body)
    context["form"] = form
    # HTMX swaps only 2xx answers: the card's form comes back with its errors.
    return render(request, "deals/_board_quick_edit.html", context, status=200 if is_htmx(request) else status)
