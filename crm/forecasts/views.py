"""Pages: the forecast, the funnel, the quota grid and how the forecast moved.

Thin: parse the query, call one selector or service, render. Bad parameters are shown
as a message on the page with status 400 and the page falls back to its defaults.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError, ValidationFailed

from . import selectors, services
from .models import Quota
from .periods import PeriodKind, current_period, parse_period, period_choices


def _require_view(request) -> None:
    try:
        selectors.require_forecast_access(request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None


def _error_text(exc: ServiceError) -> str:
    parts = [str(m) for msgs in exc.fields.values() for m in msgs]
    return " ".join(parts) or str(exc.message)


def _common(request, *, with_pipeline: bool = True, with_owner: bool = False):
    """The period and filters from the query string, and the errors found in it."""
    errors: list[str] = []
    params = request.GET
    try:
        period = parse_period(params.get("period"))
    except ValidationFailed as exc:
        errors.append(_error_text(exc))
        period = current_period()
    try:
        filters = selectors.parse_filters(
            request.user,
            pipeline=params.get("pipeline") if with_pipeline else None,
            team=params.get("team"),
            owner=params.get("owner") if with_owner else None,
        )
    except ValidationFailed as exc:
        errors.append(_error_text(exc))
        filters = selectors.DealFilters()
    return period, filters, errors


def _picker_context(request, period, filters) -> dict:
    return {
        "period": period,
        "periods": period_choices(period),
        "pipelines": selectors.active_pipelines(),
        "teams": selectors.teams_in_reach(request.user),
        "filters": filters,
        "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY,
    }


def _query(period, filters, **extra) -> str:
    return urlencode({"period": period.key, **filters.as_params(), **extra})


@login_required
def forecast_page(request):
    _require_view(request)
    period, filters, errors = _common(request)
    group_by = request.GET.get("group_by") or "owner"
    if group_by not in selectors.GROUP_BY:
        errors.append(_("Group by owner or team."))
        group_by = "owner"
    result = selectors.forecast(user=request.user, period=period, group_by=group_by, filters=filters)
    context = {
        **_picker_context(request, period, filters),
        "result": result,
        "group_by": group_by,
        "errors": errors,
        "chart": result.chart(),
        "api_query": _query(period, filters),
    }
    return render(request, "forecasts/forecast.html", context, status=400 if errors else 200)


@login_required
def funnel_page(request):
    _require_view(request)
    period, filters, errors = _common(request)
    result = selectors.funnel(user=request.user, period=period, filters=filters)
    context = {
        **_picker_context(request, period, filters),
        "result": result,
        "errors": errors,
        "chart": result.chart(),
        "api_query": _query(period, filters),
    }
    return render(request, "forecasts/funnel.html", context, status=400 if errors else 200)


@login_required
def history_page(request):
    _require_view(request)
    period, filters, errors = _common(request, with_pipeline=False)
    result = selectors.forecast_history(user=request.user, period=period, filters=filters)
    context = {
        **_picker_context(request, period, filters),
        "result": result,
        "errors": errors,
        "chart": result.chart(),
        "points": list(reversed(result.points)),
        "api_query": _query(period, filters),
    }
    return render(request, "forecasts/history.html", context, status=400 if errors else 200)


@login_required
@require_POST
def snapshot_take(request):
    try:
        job = services.forecast_snapshot_request(actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    messages.success(request, _("The snapshot is being taken; it appears here when the job has finished."))
    return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))


def _quota_rows(request, period):
    """The grid's rows: every active user and team in the viewer's deal reach, with the
    quota set for exactly this period, and whether the viewer may change it."""
    reach = selectors.deal_reach(request.user)
    settable = selectors.quota_reach(request.user)
    can_set = request.user.has_perm("forecasts.change_quota") or request.user.is_crm_admin
    settable_users = (
        None if settable.everything else set(settable.users().values_list("pk", flat=True)) if can_set else set()
    )
    settable_teams = None if settable.everything else settable.team_ids if can_set else set()
    quotas = Quota.objects.filter(period_kind=period.kind, period_start=period.start)
    by_user = {q.user_id: q for q in quotas if q.user_id}
    by_team = {q.team_id: q for q in quotas if q.team_id}
    team_rows = [
        {
            "name": f"team-{team.pk}",
            "label": team.name,
            "kind": "team",
            "subject": team,
            "quota": by_team.get(team.pk),
            "editable": can_set and (settable_teams is None or team.pk in settable_teams),
        }
        for team in reach.teams().order_by("name")
    ]
    # People who may view deals have a forecast; anyone with a quota already keeps their row.
    sellers = Q(role__is_admin=True) | Q(
        role__permissions__content_type__app_label="deals", role__permissions__codename="view_deal"
    )
    people = (
        reach.users()
        .filter(is_active=True)
        .filter(sellers | Q(pk__in=list(by_user)))
        .distinct()
        .select_related("team")
        .order_by("team__name", "username")
    )
    user_rows = [
        {
            "name": f"user-{person.pk}",
            "label": str(person),
            "team": person.team.name if person.team_id else "",
            "kind": "user",
            "subject": person,
            "quota": by_user.get(person.pk),
            "editable": can_set and (settable_users is None or person.pk in settable_users),
        }
        for person in people
    ]
    return team_rows, user_rows


@login_required
def quota_grid(request):
    _require_view(request)
    errors: list[str] = []
    status = 200
    try:
        period = parse_period(request.GET.get("period") or request.POST.get("period"))
    except ValidationFailed as exc:
        errors.append(_error_text(exc))
        period = current_period()
        status = 400
    team_rows, user_rows = _quota_rows(request, period)
    rows = team_rows + user_rows
    field_errors: dict[str, str] = {}
    if request.method == "POST" and not errors:
        submitted = {}
        for row in rows:
            if not row["editable"] or row["name"] not in request.POST:
                continue
            raw = request.POST.get(row["name"], "").strip()
            current = row["quota"]
            try:
                version = int(request.POST.get(f"v-{row['name']}", "0") or 0)
            except ValueError:
                version = -1
            if not raw:
                if current is not None:
                    submitted[row["name"]] = (row, None, version)
                continue
            try:
                amount = services.parse_amount(raw)
            except ValidationFailed as exc:
                field_errors[row["name"]] = _error_text(exc)
                row["submitted"] = raw
                continue
            row["submitted"] = raw
            if current is None or current.amount != amount:
                submitted[row["name"]] = (row, amount, version)
        if not field_errors:
            try:
                with transaction.atomic():
                    for row, amount, version in submitted.values():
                        subject = {row["kind"]: row["subject"]}
                        if amount is None:
                            if row["quota"].version != version:
                                raise ConflictError()
                            services.quota_delete(actor=request.user, quota=row["quota"])
                        else:
                            services.quota_set(
                                actor=request.user,
                                period=period,
                                amount=amount,
                                expected_version=version,
                                **subject,
                            )
            except ConflictError as exc:
                errors.append(str(exc.message))
                status = 409
            except PermissionDeniedError as exc:
                errors.append(str(exc.message))
                status = 403
            except ValidationFailed as exc:
                errors.append(_error_text(exc))
                status = 400
            else:
                messages.success(request, _("%(count)s quotas saved.") % {"count": len(submitted)})
                return HttpResponseRedirect(reverse("forecasts:quotas") + "?" + urlencode({"period": period.key}))
        else:
            status = 400
            errors.append(_("Nothing was saved: correct the amounts marked below."))
        if status == 409:
            # Show the current values, and keep what the user typed next to them.
            typed = {r["name"]: r.get("submitted") for r in rows if r.get("submitted") is not None}
            team_rows, user_rows = _quota_rows(request, period)
            for row in team_rows + user_rows:
                if row["name"] in typed:
                    row["submitted"] = typed[row["name"]]
    for row in team_rows + user_rows:
        row["error"] = field_errors.get(row["name"], "")
    context = {
        "period": period,
        "periods": period_choices(period),
        "team_rows": team_rows,
        "user_rows": user_rows,
        "errors": errors,
        "any_editable": any(r["editable"] for r in team_rows + user_rows),
        "threshold": selectors.commit_threshold(),
        "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY,
        "kinds": PeriodKind,
    }
    return render(request, "forecasts/quotas.html", context, status=status)


@login_required
@require_POST
def threshold_update(request):
    try:
        services.forecast_settings_update(actor=request.user, commit_threshold=request.POST.get("commit_threshold"))
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ValidationFailed as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The commit threshold was saved."))
    return HttpResponseRedirect(reverse("forecasts:quotas"))
