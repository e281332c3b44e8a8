"""Reads: the forecast, the funnel, quotas, snapshots and how the forecast moved.

Every figure is a handful of GROUP BY queries over ``visible_to(user, Deal)``; no
function here loops over deals. ``user=None`` means the system (the snapshot job)
and reads every deal.

Quotas and snapshots have no owner of their own: they are seen by whoever may read
the deals of the user (or team) they are about, so their reach is worked out here
from the same role scope that ``visible_to`` applies to deals.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from crm.accounts.models import Scope, Team
from crm.accounts.selectors import team_subtree_ids
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.visibility import scope_for, visible_to
from crm.deals.models import Deal, DealStatus, Pipeline, Stage, StageKind

from .models import DEFAULT_COMMIT_THRESHOLD, ForecastSettings, ForecastSnapshot, Quota
from .periods import Period, PeriodKind

CENT = Decimal("0.01")
ZERO = Decimal("0")
GROUP_BY = ("owner", "team")


@contextmanager
def _aggregate_session():
    """On PostgreSQL, run the big aggregates without JIT.

    Measured on 500,000 deals: compiling the plan with JIT took 100-170 ms of a
    funnel query and saved less. (A larger work_mem, tried too, made the planner
    drop the parallel plan and was slower.) SET LOCAL ends with the transaction,
    so nothing else in the request is affected."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def _money(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT)


def commit_threshold() -> int:
    row = ForecastSettings.objects.filter(pk=1).values_list("commit_threshold", flat=True).first()
    return DEFAULT_COMMIT_THRESHOLD if row is None else row


def require_forecast_access(user) -> None:
    """Forecasts and funnels are read by whoever may view deals."""
    if user is not None and not user.has_perm("deals.view_deal"):
        raise PermissionDeniedError()


# Reach: whose quotas and snapshots a user may see --------------------------------------


@dataclass
class Reach:
    everything: bool = False
    user_ids: QuerySet | None = None
    team_ids: set[int] = field(default_factory=set)

    def users(self) -> QuerySet:
        User = get_user_model()
        if self.everything:
            return User.objects.all()
        return self.user_ids if self.user_ids is not None else User.objects.none()

    def teams(self) -> QuerySet:
        return Team.objects.all() if self.everything else Team.objects.filter(pk__in=self.team_ids)


def deal_reach(user) -> Reach:
    """The users whose deals ``user`` may read, and the teams those make up."""
    if user is None:
        return Reach(everything=True)
    User = get_user_model()
    scope = scope_for(user, Deal, "read")
    if scope == Scope.ALL:
        return Reach(everything=True)
    if scope == Scope.NONE:
        return Reach(user_ids=User.objects.none())
    if scope == Scope.OWN or user.team_id is None:
        return Reach(user_ids=User.objects.filter(pk=user.pk))
    team_ids = {user.team_id} if scope == Scope.TEAM else team_subtree_ids(user.team_id)
    return Reach(user_ids=User.objects.filter(team_id__in=team_ids), team_ids=set(team_ids))


def quota_reach(user) -> Reach:
    """The users and teams whose quotas ``user`` may set.

    Administrators set every quota. A holder of the change-quota permission (built-in:
    sales managers) sets them for their own team, the teams they manage and every team
    below those, and for the members of those teams except themselves."""
    User = get_user_model()
    if user is None or user.is_crm_admin:
        return Reach(everything=True)
    if not user.has_perm("forecasts.change_quota"):
        return Reach(user_ids=User.objects.none())
    roots = set(Team.objects.filter(manager=user).values_list("pk", flat=True))
    if user.team_id:
        roots.add(user.team_id)
    team_ids: set[int] = set()
    for root in roots:
        team_ids |= team_subtree_ids(root)
    return Reach(user_ids=User.objects.filter(team_id__in=team_ids).exclude(pk=user.pk), team_ids=team_ids)


def visible_quotas(user) -> QuerySet[Quota]:
    reach = deal_reach(user)
    qs = Quota.objects.select_related("user", "team")
    if reach.everything:
        return qs
    return qs.filter(Q(user__in=reach.users()) | Q(team_id__in=reach.team_ids))


def visible_snapshots(user) -> QuerySet[ForecastSnapshot]:
    reach = deal_reach(user)
    qs = ForecastSnapshot.objects.select_related("owner", "team")
    if reach.everything:
        return qs
    return qs.filter(Q(owner__in=reach.users()) | Q(team_id__in=reach.team_ids))


def teams_in_reach(user) -> list[Team]:
    return list(deal_reach(user).teams().order_by("name"))


def users_in_reach(user) -> list:
    return list(deal_reach(user).users().filter(is_active=True).order_by("username"))


def active_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.filter(active=True))


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(active=True).order_by("-is_default", "position", "id").first()


# Filters ----------------------------------------------------------------------------------


@dataclass
class DealFilters:
    pipeline: Pipeline | None = None
    team: Team | None = None
    owner: object | None = None

    def as_params(self) -> dict[str, str]:
        params = {}
        if self.pipeline is not None:
            params["pipeline"] = str(self.pipeline.pk)
        if self.team is not None:
            params["team"] = str(self.team.pk)
        if self.owner is not None:
            params["owner"] = str(self.owner.pk)
        return params


def _pk(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            fields={name: [_("Select a valid choice. That choice is not one of the available choices.")]}
        ) from None
    if pk <= 0 or pk > 2**62:
        raise ValidationFailed(
            fields={name: [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    return pk


def parse_filters(user, *, pipeline=None, team=None, owner=None) -> DealFilters:
    """Check the ids a page or API call passed: a team or owner out of reach is refused
    like a missing one."""
    invalid = _("Select a valid choice. That choice is not one of the available choices.")
    filters = DealFilters()
    reach = deal_reach(user)
    pk = _pk(pipeline, "pipeline")
    if pk is not None:
        filters.pipeline = Pipeline.objects.filter(pk=pk).first()
        if filters.pipeline is None:
            raise ValidationFailed(fields={"pipeline": [invalid]})
    pk = _pk(team, "team")
    if pk is not None:
        filters.team = reach.teams().filter(pk=pk).first()
        if filters.team is None:
            raise ValidationFailed(fields={"team": [invalid]})
    pk = _pk(owner, "owner")
    if pk is not None:
        filters.owner = reach.users().filter(pk=pk).first()
        if filters.owner is None:
            raise ValidationFailed(fields={"owner": [invalid]})
    return filters


def _deals(user, filters: DealFilters) -> QuerySet[Deal]:
    qs = Deal.objects.all() if user is None else visible_to(user, Deal)
    if filters.pipeline is not None:
        qs = qs.filter(pipeline=filters.pipeline)
    if filters.team is not None:
        qs = qs.filter(owner__team_id__in=team_subtree_ids(filters.team.pk))
    if filters.owner is not None:
        qs = qs.filter(owner=filters.owner)
    return qs


# Forecast ----------------------------------------------------------------------------------


@dataclass
class Figures:
    pipeline: Decimal = ZERO
    weighted: Decimal = ZERO
    open_commit: Decimal = ZERO
    closed_won: Decimal = ZERO
    open_count: int = 0
    won_count: int = 0

    @property
    def commit(self) -> Decimal:
        return self.open_commit + self.closed_won

    @property
    def best_case(self) -> Decimal:
        return self.pipeline + self.closed_won

    def add(self, other: Figures) -> None:
        self.pipeline += other.pipeline
        self.weighted += other.weighted
        self.open_commit += other.open_commit
        self.closed_won += other.closed_won
        self.open_count += other.open_count
        self.won_count += other.won_count


@dataclass
class ForecastRow:
    key: str  # "user:<id>", "team:<id>", "none" or "total"
    label: str
    figures: Figures
    quota: Decimal | None = None
    depth: int = 0
    user_id: int | None = None
    team_id: int | None = None

    @property
    def attainment(self) -> Decimal | None:
        """Closed-won as a percentage of the quota."""
        if not self.quota:
            return None
        return (self.figures.closed_won * 100 / self.quota).quantize(Decimal("0.1"))

    def as_dict(self) -> dict:
        f = self.figures
        return {
            "key": self.key,
            "label": self.label,
            "user": self.user_id,
            "team": self.team_id,
            "depth": self.depth,
            "quota": None if self.quota is None else str(self.quota),
            "closed_won": str(f.closed_won),
            "commit": str(f.commit),
            "best_case": str(f.best_case),
            "weighted": str(f.weighted),
            "pipeline": str(f.pipeline),
            "open_deals": f.open_count,
            "won_deals": f.won_count,
            "attainment": None if self.attainment is None else str(self.attainment),
        }


@dataclass
class Forecast:
    period: Period
    group_by: str
    currency: str
    commit_threshold: int
    rows: list[ForecastRow]
    total: ForecastRow
    other_currencies: dict[str, Figures]
    filters: DealFilters

    def chart(self) -> dict:
        return {
            "categories": [row.label for row in self.rows],
            "quota": [None if row.quota is None else float(row.quota) for row in self.rows],
            "closed_won": [float(row.figures.closed_won) for row in self.rows],
            "commit": [float(row.figures.commit) for row in self.rows],
            "best_case": [float(row.figures.best_case) for row in self.rows],
            "weighted": [float(row.figures.weighted) for row in self.rows],
        }


def _figures_by_owner(qs: QuerySet[Deal], period: Period, threshold: int) -> dict[tuple, Figures]:
    """{(owner id, currency): Figures} in one GROUP BY query: the open deals expected to
    close in the period (the status/expected_close_date index) and the deals won in it
    (the status/closed_at index), read in one pass over the rows both indexes point to."""
    open_q = Q(status=DealStatus.OPEN, expected_close_date__gte=period.start, expected_close_date__lt=period.end)
    won_q = Q(status=DealStatus.WON, closed_at__gte=period.start_at, closed_at__lt=period.end_at)
    weighted_expr = ExpressionWrapper(
        F("amount") * F("stage__probability"), output_field=DecimalField(max_digits=24, decimal_places=2)
    )
    rows = (
        qs.filter(open_q | won_q)
        .values("owner_id", "currency")
        .annotate(
            n_open=Count("pk", filter=open_q),
            total=Sum("amount", filter=open_q),
            weighted=Sum(weighted_expr, filter=open_q),
            commit=Sum("amount", filter=open_q & Q(stage__probability__gte=threshold)),
            n_won=Count("pk", filter=won_q),
            won=Sum("amount", filter=won_q),
        )
        .order_by()
    )
    found: dict[tuple, Figures] = {}
    with _aggregate_session():
        rows = list(rows)
    for row in rows:
        found[(row["owner_id"], row["currency"])] = Figures(
            pipeline=_money(row["total"]),
            weighted=_money((row["weighted"] or ZERO) / 100),
            open_commit=_money(row["commit"]),
            closed_won=_money(row["won"]),
            open_count=row["n_open"],
            won_count=row["n_won"],
        )
    return found


def _quotas_for(period: Period, *, kind: str) -> dict[int, Decimal]:
    """{user or team id: quota} for the period: its own quota, else the sum of its
    quarters' (for a year), else the sum of its months'."""
    column = "user_id" if kind == "user" else "team_id"
    condition = Q(period_kind=period.kind, period_start=period.start)
    if period.kind != PeriodKind.MONTH:
        condition |= Q(period_kind=PeriodKind.MONTH, period_start__gte=period.start, period_start__lt=period.end)
    if period.kind == PeriodKind.YEAR:
        condition |= Q(period_kind=PeriodKind.QUARTER, period_start__gte=period.start, period_start__lt=period.end)
    rows = (
        Quota.objects.filter(condition, **{f"{column}__isnull": False})
        .values(column, "period_kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_kind: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        by_kind[row[column]][row["period_kind"]] = _money(row["total"])
    preference = [period.kind, PeriodKind.QUARTER, PeriodKind.MONTH]
    out = {}
    for pk, kinds in by_kind.items():
        out[pk] = next(kinds[k] for k in preference if k in kinds)
    return out


def _team_tree() -> tuple[dict[int, str], dict[int | None, list[int]]]:
    names: dict[int, str] = {}
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, name, parent_id in Team.objects.values_list("pk", "name", "parent_id").order_by("name"):
        names[pk] = name
        children[parent_id].append(pk)
    return names, children


def _period_of(value) -> Period:
    if isinstance(value, Period):
        return value
    from .periods import parse_period

    return parse_period(value)


def forecast(*, user, period, group_by: str = "owner", filters: DealFilters | None = None) -> Forecast:
    """Quota, closed-won, commit, best case and weighted pipeline per owner or team."""
    require_forecast_access(user)
    period = _period_of(period)
    if group_by not in GROUP_BY:
        raise ValidationFailed(fields={"group_by": [_("Group by owner or team.")]})
    filters = filters or DealFilters()
    threshold = commit_threshold()
    currency = settings.DEFAULT_CURRENCY
    found = _figures_by_owner(_deals(user, filters), period, threshold)
    if group_by == "team":
        # Owners are few: their teams come from one small query, not a join per deal.
        team_of = dict(
            get_user_model()
            .objects.filter(pk__in={owner for owner, _cur in found if owner is not None})
            .values_list("pk", "team_id")
        )
        by_team: dict[tuple, Figures] = defaultdict(Figures)
        for (owner, cur), figures in found.items():
            by_team[(team_of.get(owner), cur)].add(figures)
        found = by_team

    direct: dict[int | None, Figures] = defaultdict(Figures)
    others: dict[str, Figures] = defaultdict(Figures)
    total = Figures()
    for (subject, cur), figures in found.items():
        if cur == currency:
            direct[subject].add(figures)
            total.add(figures)
        else:
            others[cur].add(figures)

    reach = deal_reach(user)
    rows: list[ForecastRow] = []
    if group_by == "owner":
        quotas = _quotas_for(period, kind="user")
        people = reach.users()
        if filters.team is not None:
            people = people.filter(team_id__in=team_subtree_ids(filters.team.pk))
        if filters.owner is not None:
            people = people.filter(pk=filters.owner.pk)
        wanted = {pk for pk in direct if pk is not None} | set(
            people.filter(pk__in=list(quotas)).values_list("pk", flat=True)
        )
        User = get_user_model()
        for person in sorted(User.objects.filter(pk__in=wanted), key=lambda u: str(u).lower()):
            rows.append(
                ForecastRow(
                    key=f"user:{person.pk}",
                    label=str(person),
                    figures=direct.get(person.pk, Figures()),
                    quota=quotas.get(person.pk),
                    user_id=person.pk,
                )
            )
        if None in direct:
            rows.append(ForecastRow(key="none", label=_("No owner"), figures=direct[None]))
        total_quota = (
            sum((r.quota for r in rows if r.quota is not None), ZERO)
            if any(r.quota is not None for r in rows)
            else None
        )
    else:
        quotas = _quotas_for(period, kind="team")
        names, children = _team_tree()
        allowed = set(names) if reach.everything else reach.team_ids
        if filters.team is not None:
            allowed &= team_subtree_ids(filters.team.pk)
        with_figures = {pk for pk in direct if pk is not None}
        shown = (with_figures | set(quotas)) & allowed
        # Ancestors in reach show their subtree's total too.
        parent = {child: p for p, kids in children.items() for child in kids}
        for pk in list(shown):
            up = parent.get(pk)
            while up is not None and up in allowed:
                shown.add(up)
                up = parent.get(up)
        top_level = None

        def subtree_figures(pk: int) -> Figures:
            out = Figures()
            stack = [pk]
            while stack:
                current = stack.pop()
                if current in direct:
                    out.add(direct[current])
                stack.extend(children.get(current, []))
            return out

        def walk(pk: int, depth: int) -> None:
            if pk in shown:
                rows.append(
                    ForecastRow(
                        key=f"team:{pk}",
                        label=names[pk],
                        figures=subtree_figures(pk),
                        quota=quotas.get(pk),
                        depth=depth,
                        team_id=pk,
                    )
                )
                depth += 1
            for child in children.get(pk, []):
                walk(child, depth)

        for root in children.get(top_level, []):
            walk(root, 0)
        if None in direct:
            rows.append(ForecastRow(key="none", label=_("No team"), figures=direct[None]))
        top_quotas = [r.quota for r in rows if r.depth == 0 and r.quota is not None]
        total_quota = sum(top_quotas, ZERO) if top_quotas else None
    return Forecast(
        period=period,
        group_by=group_by,
        currency=currency,
        commit_threshold=threshold,
        rows=rows,
        total=ForecastRow(key="total", label=_("Total"), figures=total, quota=total_quota),
        other_currencies=dict(sorted(others.items())),
        filters=filters,
    )


# Funnel ---------------------------------------------------------------------------------


@dataclass
class FunnelStep:
    label: str
    reached: int
    amount: Decimal
    stage_id: int | None = None
    probability: int | None = None
    is_won: bool = False
    conversion: Decimal | None = None  # % of these deals that reached the next step

    def as_dict(self) -> dict:
        return {
            "stage": self.stage_id,
            "label": self.label,
            "probability": self.probability,
            "won": self.is_won,
            "reached": self.reached,
            "amount": str(self.amount),
            "conversion_to_next": None if self.conversion is None else str(self.conversion),
        }


@dataclass
class Funnel:
    pipeline: Pipeline | None
    period: Period
    currency: str
    steps: list[FunnelStep]
    lost: int
    filters: DealFilters

    @property
    def win_rate(self) -> Decimal | None:
        if not self.steps or not self.steps[0].reached:
            return None
        won = self.steps[-1].reached if self.steps[-1].is_won else 0
        return (Decimal(won) * 100 / self.steps[0].reached).quantize(Decimal("0.1"))

    def chart(self) -> dict:
        return {"steps": [{"name": s.label, "value": s.reached} for s in self.steps]}


def funnel(*, user, period, filters: DealFilters | None = None) -> Funnel:
    """Deals of one pipeline that reached each stage in the period, and the conversion
    from each stage to the next.

    One query: the visible deals joined with their stage changes of the period,
    grouped per deal to the furthest open or won stage it reached (the won stages
    share the last rank) and whether it was lost, then counted per furthest stage.
    Reaching a stage counts for every stage before it."""
    require_forecast_access(user)
    period = _period_of(period)
    filters = filters or DealFilters()
    pipeline = filters.pipeline or default_pipeline()
    currency = settings.DEFAULT_CURRENCY
    if pipeline is None:
        return Funnel(pipeline=None, period=period, currency=currency, steps=[], lost=0, filters=filters)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won_ids = [s.pk for s in stages if s.kind == StageKind.WON]
    lost_ids = [s.pk for s in stages if s.kind == StageKind.LOST]
    rank = {s.pk: i for i, s in enumerate(open_stages)}
    won_rank = len(open_stages)
    rank.update(dict.fromkeys(won_ids, won_rank))
    steps = [
        FunnelStep(label=s.name, reached=0, amount=ZERO, stage_id=s.pk, probability=s.probability) for s in open_stages
    ]
    if won_ids:
        steps.append(FunnelStep(label=_("Won"), reached=0, amount=ZERO, is_won=True, probability=100))
    deals = _deals(user, filters).filter(pipeline=pipeline)
    lost = 0
    if rank or lost_ids:
        # One pass: the visible deals joined once with their stage changes of the
        # period; per deal the furthest open or won stage reached and whether it was lost.
        per_deal = (
            deals.filter(
                stage_changes__changed_at__gte=period.start_at,
                stage_changes__changed_at__lt=period.end_at,
                stage_changes__to_stage_id__in=[*rank, *lost_ids],
            )
            .values("pk", "amount", "currency")
            .annotate(
                top=Max(
                    Case(
                        *[When(stage_changes__to_stage_id=pk, then=Value(r)) for pk, r in rank.items()],
                        output_field=IntegerField(),
                    )
                ),
                lost=Max(
                    Case(
                        When(stage_changes__to_stage_id__in=lost_ids or [0], then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                ),
            )
            .order_by()
        )
        inner_sql, params = per_deal.query.sql_with_params()
        quote = connection.ops.quote_name
        # The inner query is Django's own, with its parameters kept apart; only
        # quoted column names are pasted in. Grouping by an aggregate needs the wrap.
        top, cur, amt, was_lost = quote("top"), quote("currency"), quote("amount"), quote("lost")
        sql = f"SELECT t.{top}, COUNT(*), SUM(CASE WHEN t.{cur} = %s THEN t.{amt} ELSE 0 END), SUM(t.{was_lost}) FROM ({inner_sql}) t GROUP BY t.{top}"  # noqa: E501, S608
        counts: dict[int, tuple[int, Decimal]] = {}
        with _aggregate_session(), connection.cursor() as cursor:
            cursor.execute(sql, [currency, *params])
            fetched = cursor.fetchall()
        for top, n, amount, lost_here in fetched:
            lost += int(lost_here or 0)
            if top is not None:
                counts[int(top)] = (n, _money(amount))
        # Cumulative from the furthest stage back.
        running_n, running_amount = 0, ZERO
        for index in range(len(steps) - 1, -1, -1):
            n, amount = counts.get(index, (0, ZERO))
            running_n += n
            running_amount += amount
            steps[index].reached = running_n
            steps[index].amount = running_amount
        for index, step in enumerate(steps[:-1]):
            if step.reached:
                step.conversion = (Decimal(steps[index + 1].reached) * 100 / step.reached).quantize(Decimal("0.1"))
    return Funnel(pipeline=pipeline, period=period, currency=currency, steps=steps, lost=lost, filters=filters)


# How the forecast moved -------------------------------------------------------------------


@dataclass
class HistoryPoint:
    week_start: datetime.date
    pipeline: Decimal
    weighted: Decimal
    commit: Decimal
    best_case: Decimal
    closed_won: Decimal
    quota: Decimal | None
    accuracy_commit: Decimal | None = None
    accuracy_weighted: Decimal | None = None

    def as_dict(self) -> dict:
        return {
            "week_start": self.week_start.isoformat(),
            "pipeline": str(self.pipeline),
            "weighted": str(self.weighted),
            "commit": str(self.commit),
            "best_case": str(self.best_case),
            "closed_won": str(self.closed_won),
            "quota": None if self.quota is None else str(self.quota),
            "accuracy_commit": None if self.accuracy_commit is None else str(self.accuracy_commit),
            "accuracy_weighted": None if self.accuracy_weighted is None else str(self.accuracy_weighted),
        }


@dataclass
class History:
    period: Period
    points: list[HistoryPoint]
    actual_closed_won: Decimal | None  # for a period that has ended

    def chart(self) -> dict:
        return {
            "weeks": [p.week_start.isoformat() for p in self.points],
            "weighted": [float(p.weighted) for p in self.points],
            "commit": [float(p.commit) for p in self.points],
            "best_case": [float(p.best_case) for p in self.points],
            "closed_won": [float(p.closed_won) for p in self.points],
            "quota": [None if p.quota is None else float(p.quota) for p in self.points],
        }


def _accuracy(actual: Decimal, forecast_value: Decimal) -> Decimal | None:
    if not forecast_value:
        return None
    return (actual * 100 / forecast_value).quantize(Decimal("0.1"))


def forecast_history(*, user, period, filters: DealFilters | None = None) -> History:
    """The weekly snapshots of a period added up over the owners in reach (and the
    filters), with the accuracy of each once the period is over."""
    require_forecast_access(user)
    period = _period_of(period)
    filters = filters or DealFilters()
    qs = visible_snapshots(user).filter(
        period_kind=period.kind, period_start=period.start, owner__isnull=False, currency=settings.DEFAULT_CURRENCY
    )
    if filters.team is not None:
        qs = qs.filter(owner__team_id__in=team_subtree_ids(filters.team.pk))
    if filters.owner is not None:
        qs = qs.filter(owner=filters.owner)
    rows = (
        qs.values("week_start")
        .annotate(
            pipeline=Sum("pipeline"),
            weighted=Sum("weighted"),
            commit=Sum("commit"),
            best_case=Sum("best_case"),
            closed_won=Sum("closed_won"),
            quota=Sum("quota"),
        )
        .order_by("week_start")
    )
    points = [
        HistoryPoint(
            week_start=row["week_start"],
            pipeline=_money(row["pipeline"]),
            weighted=_money(row["weighted"]),
            commit=_money(row["commit"]),
            best_case=_money(row["best_case"]),
            closed_won=_money(row["closed_won"]),
            quota=None if row["quota"] is None else _money(row["quota"]),
        )
        for row in rows
    ]
    actual = None
    if period.is_past:
        no_pipeline = DealFilters(team=filters.team, owner=filters.owner)
        result = forecast(user=user, period=period, group_by="owner", filters=no_pipeline)
        # Snapshots are written per owner: compare with the owners' deals, like for like.
        actual = sum((row.figures.closed_won for row in result.rows if row.user_id), ZERO)
        for point in points:
            point.accuracy_commit = _accuracy(actual, point.commit)
            point.accuracy_weighted = _accuracy(actual, point.weighted)
    return History(period=period, points=points, actual_closed_won=actual)
