"""Writes: quotas, the commit threshold and the weekly snapshots.

Each function checks the actor's rights itself, validates, saves in a transaction and
writes the audit row, so the quota grid, the API and the job follow the same rules.
``actor=None`` means the system (the scheduled job).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record
from crm.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

from .models import ForecastSettings, ForecastSnapshot, Quota
from .periods import Period, PeriodKind, company_today, period_containing, week_start
from .selectors import commit_threshold, forecast, quota_reach

MAX_AMOUNT = Decimal("9999999999999999.99")


def parse_amount(value, *, field: str = "amount") -> Decimal:
    """A money amount from a form or the API: a plain decimal, two places at most."""
    if isinstance(value, bool):
        value = None
    text = str(value).strip().replace(",", "") if value is not None else ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(fields={field: [_("Enter an amount such as 120000 or 99.50.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed(fields={field: [_("Enter an amount such as 120000 or 99.50.")]})
    if amount < 0:
        raise ValidationFailed(fields={field: [_("A quota cannot be negative.")]})
    if amount > MAX_AMOUNT:
        raise ValidationFailed(fields={field: [_("This amount is too large.")]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(fields={field: [_("Use at most two decimal places.")]})
    return amount.quantize(Decimal("0.01"))


def _require_quota_target(actor, *, user, team) -> None:
    if (user is None) == (team is None):
        raise ValidationFailed(fields={"__all__": [_("Set a quota for either one user or one team.")]})
    if actor is None:
        return
    if not (actor.has_perm("forecasts.add_quota") or actor.has_perm("forecasts.change_quota")):
        raise PermissionDeniedError()
    reach = quota_reach(actor)
    if reach.everything:
        return
    allowed = reach.users().filter(pk=user.pk).exists() if user is not None else team.pk in reach.team_ids
    if not allowed:
        raise PermissionDeniedError(_("You may set quotas only for your teams and their members."))


def quota_set(
    *,
    actor,
    period: Period,
    amount,
    user=None,
    team=None,
    currency: str | None = None,
    expected_version: int | None = None,
) -> Quota:
    """Create or change the quota of one user or team for one period."""
    _require_quota_target(actor, user=user, team=team)
    amount = parse_amount(amount)
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    if currency != settings.DEFAULT_CURRENCY:
        raise ValidationFailed(
            fields={
                "currency": [
                    _("Quotas are set in %(currency)s, the currency forecasts add up.")
                    % {"currency": settings.DEFAULT_CURRENCY}
                ]
            }
        )
    lookup = {"user": user} if user is not None else {"team": team}
    with transaction.atomic():
        quota = (
            Quota.objects.select_for_update()
            .filter(period_kind=period.kind, period_start=period.start, **lookup)
            .first()
        )
        if quota is None:
            if expected_version not in (None, 0):
                raise ConflictError()
            quota = Quota.objects.create(
                period_kind=period.kind,
                period_start=period.start,
                amount=amount,
                currency=currency,
                updated_by=actor,
                **lookup,
            )
            audit_record(
                action=Action.CREATE,
                actor=actor,
                instance=quota,
                changes=[
                    {"field": "user" if user is not None else "team", "old": None, "new": str(quota.subject)},
                    {"field": "period_kind", "old": None, "new": period.kind},
                    {"field": "period_start", "old": None, "new": period.start},
                    {"field": "amount", "old": None, "new": amount},
                    {"field": "currency", "old": None, "new": currency},
                ],
            )
            return quota
        if expected_version is not None and quota.version != expected_version:
            raise ConflictError()
        if quota.amount == amount:
            return quota
        old = quota.amount
        quota.amount = amount
        quota.version += 1
        quota.updated_by = actor
        quota.save(update_fields=["amount", "version", "updated_by", "updated_at"])
        audit_record(
            action=Action.UPDATE, actor=actor, instance=quota, changes=[{"field": "amount", "old": old, "new": amount}]
        )
    return quota


def quota_delete(*, actor, quota: Quota) -> None:
    if actor is not None and not actor.has_perm("forecasts.delete_quota"):
        raise PermissionDeniedError()
    _require_quota_target(actor, user=quota.user, team=quota.team)
    with transaction.atomic():
        locked = Quota.objects.select_for_update().filter(pk=quota.pk).first()
        if locked is None:
            return
        audit_record(
            action=Action.DELETE,
            actor=actor,
            instance=locked,
            changes=[{"field": "amount", "old": locked.amount, "new": None}],
        )
        locked.delete()


def forecast_settings_update(*, actor, commit_threshold: object) -> ForecastSettings:
    """Change the commit threshold (administrators only)."""
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()
    try:
        value = int(str(commit_threshold).strip())
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 100:
        raise ValidationFailed(fields={"commit_threshold": [_("Enter a whole number from 0 to 100.")]})
    with transaction.atomic():
        row, _created = ForecastSettings.objects.select_for_update().get_or_create(pk=1)
        if row.commit_threshold != value:
            old = row.commit_threshold
            row.commit_threshold = value
            row.save()
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=row,
                changes=[{"field": "commit_threshold", "old": old, "new": value}],
            )
    return row


def forecast_snapshot_take(*, actor=None, day: datetime.date | None = None) -> int:
    """Write this week's snapshot of the current month, quarter and year, per owner and
    per team. Safe to run again: the week's rows are updated, not added."""
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()
    day = day or company_today()
    week = week_start(day)
    now = timezone.now()
    threshold = commit_threshold()
    written = 0
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR):
        period = period_containing(day, kind)
        with transaction.atomic():
            for group_by in ("owner", "team"):
                result = forecast(user=None, period=period, group_by=group_by)
                for row in result.rows:
                    if row.user_id is None and row.team_id is None:
                        continue  # deals without an owner or team are in no one's forecast
                    subject = {"owner_id": row.user_id} if row.user_id else {"team_id": row.team_id}
                    f = row.figures
                    ForecastSnapshot.objects.update_or_create(
                        week_start=week,
                        period_kind=period.kind,
                        period_start=period.start,
                        **subject,
                        defaults={
                            "currency": result.currency,
                            "pipeline": f.pipeline,
                            "weighted": f.weighted,
                            "commit": f.commit,
                            "best_case": f.best_case,
                            "closed_won": f.closed_won,
                            "quota": row.quota,
                            "commit_threshold": threshold,
                            "taken_at": now,
                        },
                    )
                    written += 1
    return written


def forecast_snapshot_request(*, actor):
    """Queue a snapshot now, as a job the administrator can follow (administrators only)."""
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()
    from crm.core.jobs import job_enqueue

    from .tasks import SNAPSHOT_JOB, forecast_snapshot_job

    return job_enqueue(kind=SNAPSHOT_JOB, task=forecast_snapshot_job, user=actor)
