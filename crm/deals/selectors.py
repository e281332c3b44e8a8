"""Reads for pipelines, stages and deals beyond the generic lists."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from crm.core.errors import NotFoundError
from crm.core.visibility import visible_to

from .models import Deal, DealStageChange, DealStatus, Pipeline, Stage, StageKind


def pipeline_default() -> Pipeline:
    """The pipeline new deals go into when none is named.

    Creates nothing: migration 0002 made "New business", and the administration
    pages keep exactly one pipeline marked default. Should an administrator have
    deactivated every pipeline, the first active one (then the first one) serves.
    """
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.filter(active=True).first() or Pipeline.objects.first()
    if pipeline is None:
        raise NotFoundError()
    return pipeline


def pipelines_active() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(active=True).order_by("position", "id")


def pipeline_stages(pipeline: Pipeline | int) -> QuerySet[Stage]:
    pipeline_id = pipeline.pk if isinstance(pipeline, Pipeline) else pipeline
    return Stage.objects.filter(pipeline_id=pipeline_id).order_by("position", "id")


def stage_first_open(pipeline: Pipeline | int) -> Stage | None:
    return pipeline_stages(pipeline).filter(kind=StageKind.OPEN).first()


# Stale deals ---------------------------------------------------------------------
def stale_condition(*, now: datetime.datetime | None = None, today: datetime.date | None = None) -> Q:
    """Open deals whose next step is overdue, or untouched for longer than their
    pipeline's ``stale_after_days``.

    Untouched: no activity logged (``last_activity_at``, written by the activities
    app) and no change to the deal itself (a stage move or an edit sets
    ``updated_at``) since the cut-off. One condition per pipeline, since each has
    its own number of days; there are a handful of pipelines, so it costs one small
    query.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    quiet = Q(pk__in=[])
    for pipeline_id, days in Pipeline.objects.values_list("pk", "stale_after_days"):
        cutoff = now - datetime.timedelta(days=days)
        quiet |= Q(pipeline_id=pipeline_id, updated_at__lt=cutoff) & (
            Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff)
        )
    return Q(status=DealStatus.OPEN) & (Q(next_step_date__lt=today) | quiet)


def deal_stale_reason(deal, *, stale_days: int, now=None, today=None) -> str:
    """Why a deal counts as stale ("" when it does not), for the card and the list."""
    if deal.status != DealStatus.OPEN:
        return ""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if deal.next_step_date and deal.next_step_date < today:
        return gettext("Next step overdue since %(date)s") % {
            "date": date_format(deal.next_step_date, "SHORT_DATE_FORMAT")
        }
    touched = max(t for t in (deal.last_activity_at, deal.updated_at) if t is not None) if deal.updated_at else None
    if touched is not None and touched < now - datetime.timedelta(days=stale_days):
        days = (now - touched).days
        return ngettext("No activity for %(days)s day", "No activity for %(days)s days", days) % {"days": days}
    return ""


def deals_stale_for(user) -> QuerySet[Deal]:
    """The stale deals a user should look at: their own, and for a manager those
    of the teams they see. Starts from what the user may see."""
    return (
        visible_to(user, Deal)
        .filter(stale_condition())
        .select_related("pipeline", "stage", "owner", "company")
        # Stalest first, read in the order of deal_stale_idx.
        .order_by("updated_at", "pk")
    )


def deals_of_team(queryset: QuerySet[Deal], team_id: int) -> QuerySet[Deal]:
    """Deals owned by members of a team or of a team below it (a filter, not a
    permission: ``queryset`` is already what the user may see)."""
    from crm.accounts.models import User
    from crm.accounts.selectors import team_subtree_ids

    # The ids themselves rather than a subquery: with the owners known, PostgreSQL reads
    # each one's range of deal_board_sums_idx instead of joining the users table.
    members = list(User.objects.filter(team_id__in=sorted(team_subtree_ids(team_id))).values_list("pk", flat=True))
    return queryset.filter(owner_id__in=members)


def pipeline_stale_days() -> dict[int, int]:
    return dict(Pipeline.objects.values_list("pk", "stale_after_days"))


def deal_stage_history(deal: Deal, *, limit: int = 200) -> list[DealStageChange]:
    """The deal's moves, newest first, each with how long the deal had been in the
    stage it left; the newest row also carries the time in the current stage."""
    rows = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("-changed_at", "-id")[:limit]
    )
    now = timezone.now()
    for i, row in enumerate(rows):
        # How long the deal stayed in to_stage: until the next move, or until now.
        if i == 0:
            row.seconds_in_to_stage = max(0, int((now - row.changed_at).total_seconds()))
            row.is_current = True
        else:
            row.seconds_in_to_stage = rows[i - 1].seconds_in_stage
            row.is_current = False
    return rows


def duration_text(seconds: int | None) -> str:
    """A time in a stage as people say it: "3 days 4 hours", "25 minutes"."""
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
        if hours and days < 10:
            text += " " + ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
        return text
    if hours:
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
