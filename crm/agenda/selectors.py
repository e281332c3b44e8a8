"""Reads for "My day", the calendar and the feed.

Everything starts from ``visible_to``; whose day is shown (me, my team, one member) is
a filter on top of it, picked among the people ``visible_owner_ids`` says the user can
see. Each section costs two queries (a count and at most ``SECTION_ROWS`` rows),
whatever the number of activities, leads or deals.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.activities.models import Activity, ActivityKind
from crm.core.errors import ValidationFailed
from crm.core.visibility import visible_owner_ids, visible_to
from crm.deals.models import Deal, DealStatus
from crm.leads.models import OPEN_STATUSES, Lead

SECTION_ROWS = 20
UPCOMING_DAYS = 7
UNTOUCHED_DEFAULT = 7
UNTOUCHED_MAX = 365
UNTOUCHED_PREFERENCE = "agenda.untouched_days"
CALENDAR_MAX_DAYS = 62
CALENDAR_MAX_EVENTS = 2000
ACTIVITY_RELATED = ("owner", "company", "contact", "deal", "lead")


def has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


# Whose day ------------------------------------------------------------------------------
@dataclass
class Who:
    """Whose activities a page shows: ``mode`` is "me", "team" or "member"."""

    user: object
    mode: str = "me"
    member: object | None = None
    people: list = field(default_factory=list)
    owner_ids: list[int] = field(default_factory=list)

    @property
    def can_switch(self) -> bool:
        return len(self.people) > 1

    @property
    def show_owner(self) -> bool:
        return self.mode == "team"

    @property
    def query(self) -> str:
        if self.mode == "team":
            return "team=1"
        if self.mode == "member":
            return f"user={self.member.pk}"
        return ""

    @property
    def single_owner(self):
        """The one person shown (me or the member), or None for a team."""
        if self.mode == "team":
            return None
        return self.member or self.user


def people_visible(user) -> list:
    """The active users whose activities ``user`` may read: themselves first, then by
    name. Administrators and other all-seeing roles get every active user."""
    User = get_user_model()
    ids = visible_owner_ids(user, Activity, "read")
    qs = User.objects.filter(is_active=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    people = sorted(qs.only("pk", "username", "full_name", "first_name", "last_name", "email"), key=str)
    people.sort(key=lambda u: u.pk != user.pk)
    if not any(p.pk == user.pk for p in people) and ids != []:
        people.insert(0, user)
    return people


def resolve_who(user, *, member=None, team=None) -> Who:
    """Parse the page's or the API's ``user`` and ``team`` parameters. An id of someone
    the user cannot see is refused with a translated 400, so it reveals nothing."""
    people = people_visible(user)
    who = Who(user=user, people=people, owner_ids=[user.pk])
    if str(team or "").lower() in {"1", "true", "yes", "on"} and len(people) > 1:
        who.mode = "team"
        who.owner_ids = [p.pk for p in people]
        return who
    if member not in (None, ""):
        try:
            member_id = int(member)
        except (TypeError, ValueError):
            member_id = None
        found = next((p for p in people if p.pk == member_id), None)
        if found is None:
            raise ValidationFailed(fields={"user": [_("Choose one of the people whose activities you can see.")]})
        if found.pk != user.pk:
            who.mode = "member"
            who.member = found
            who.owner_ids = [found.pk]
    return who


def attended_ids(user_id: int, lo: datetime.datetime, hi: datetime.datetime) -> list[int]:
    """The meetings starting in [lo, hi) that ``user_id`` is invited to, as ids: one
    small query, so the main query stays "owner = me OR id IN (…)", which PostgreSQL
    answers from two indexes instead of a join on the attendee table per row."""
    if not has_field(Activity, "attendee_users"):
        return []
    field = Activity._meta.get_field("attendee_users")
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    return list(
        through.objects.filter(
            **{
                target: user_id,
                f"{source}__kind": ActivityKind.MEETING,
                f"{source}__occurred_at__gte": lo,
                f"{source}__occurred_at__lt": hi,
            }
        ).values_list(f"{source}_id", flat=True)[:500]
    )


def activities_of(who: Who, lo: datetime.datetime, hi: datetime.datetime) -> QuerySet[Activity]:
    """The visible activities of the people shown; for one person, also the meetings
    they attend that start in [lo, hi) (still only those the viewer may see)."""
    qs = visible_to(who.user, Activity)
    person = who.single_owner
    if person is None:
        return qs.filter(owner_id__in=who.owner_ids)
    attended = attended_ids(person.pk, lo, hi)
    if attended:
        return qs.filter(Q(owner_id=person.pk) | Q(pk__in=attended, kind=ActivityKind.MEETING))
    return qs.filter(owner_id=person.pk)


def writable_owner_ids(user) -> list[int] | None:
    """Whose activities the user may change (None: everyone's), for the drag handles."""
    if not user.has_perm("activities.change_activity"):
        return []
    return visible_owner_ids(user, Activity, "write")


def can_change(activity: Activity, writable: list[int] | None) -> bool:
    if activity.kind == ActivityKind.TASK and activity.done:
        return False
    if activity.kind not in (ActivityKind.TASK, ActivityKind.MEETING):
        return False
    return writable is None or activity.owner_id in writable


# My day ---------------------------------------------------------------------------------
@dataclass
class Section:
    key: str
    title: str
    count: int
    rows: list
    see_all: str | None = None

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


def local_day_bounds(day: datetime.date, tz=None) -> tuple[datetime.datetime, datetime.datetime]:
    tz = tz or timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min).replace(tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min).replace(tzinfo=tz)
    return start, end


def parse_untouched_days(raw, user) -> int:
    """The query string's ``untouched_days`` (1–365), else the user's saved choice,
    else 7. A bad value is a translated 400."""
    if raw in (None, ""):
        saved = (user.preferences or {}).get(UNTOUCHED_PREFERENCE)
        return saved if isinstance(saved, int) and 1 <= saved <= UNTOUCHED_MAX else UNTOUCHED_DEFAULT
    try:
        days = int(raw)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= UNTOUCHED_MAX:
        raise ValidationFailed(
            fields={"untouched_days": [_("Give a whole number of days from 1 to %(max)s.") % {"max": UNTOUCHED_MAX}]}
        )
    return days


def _section(key, title, qs, see_all=None) -> Section:
    rows = list(qs[:SECTION_ROWS])
    count = len(rows) if len(rows) < SECTION_ROWS else qs.order_by().count()
    return Section(key=key, title=title, count=count, rows=rows, see_all=see_all)


def _open_tasks(qs):
    return qs.filter(kind=ActivityKind.TASK, done=False)


def my_day(who: Who, *, untouched_days: int, now: datetime.datetime | None = None, urls=None) -> list[Section]:
    """The five sections of My day, in the active time zone. ``urls`` builds the "see
    all" links (a function of the section key and the day's boundaries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, tomorrow = local_day_bounds(today)
    week_end = tomorrow + datetime.timedelta(days=UPCOMING_DAYS)
    # Meetings attended only matter from today on (overdue holds tasks only).
    activities = activities_of(who, start, week_end).select_related(*ACTIVITY_RELATED)
    meetings = Q(kind=ActivityKind.MEETING)
    tasks = Q(kind=ActivityKind.TASK, done=False)
    when = Coalesce("due_at", "occurred_at")

    overdue = _open_tasks(activities).filter(due_at__lt=start).order_by("due_at", "pk")
    today_qs = (
        activities.filter(
            (tasks & Q(due_at__gte=start, due_at__lt=tomorrow))
            | (meetings & Q(occurred_at__gte=start, occurred_at__lt=tomorrow))
        )
        .annotate(when=when)
        .order_by("when", "pk")
    )
    upcoming = (
        activities.filter(
            (tasks & Q(due_at__gte=tomorrow, due_at__lt=week_end))
            | (meetings & Q(occurred_at__gte=tomorrow, occurred_at__lt=week_end))
        )
        .annotate(when=when)
        .order_by("when", "pk")
    )
    cutoff = now - datetime.timedelta(days=untouched_days)
    leads = (
        visible_to(who.user, Lead)
        .filter(owner_id__in=who.owner_ids, status__in=OPEN_STATUSES)
        .filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff))
        .select_related("owner")
        .annotate(quiet_since=Coalesce("last_activity_at", "created_at"))
        .order_by("quiet_since", "pk")
    )
    deals = (
        visible_to(who.user, Deal)
        .filter(owner_id__in=who.owner_ids, status=DealStatus.OPEN, next_step_date__lt=today)
        .select_related("owner")
        # The company of the 20 rows shown, not a join over every late deal.
        .prefetch_related("company")
        .order_by("next_step_date", "pk")
    )
    link = urls or (lambda key, **kw: None)
    bounds = {"today": today, "untouched_days": untouched_days}
    return [
        _section("overdue", _("Overdue tasks"), overdue, link("overdue", **bounds)),
        _section("today", _("Today"), today_qs, link("today", **bounds)),
        _section("upcoming", _("Next 7 days"), upcoming, link("upcoming", **bounds)),
        _section("untouched_leads", _("Untouched leads"), leads, link("untouched_leads", **bounds)),
        _section("next_steps", _("Deals with a missed next step"), deals, link("next_steps", **bounds)),
    ]


# Calendar -------------------------------------------------------------------------------
def parse_day(raw, *, field_name: str = "date", default: datetime.date | None = None) -> datetime.date:
    if raw in (None, ""):
        if default is None:
            raise ValidationFailed(fields={field_name: [_("This field is required.")]})
        return default
    try:
        return datetime.date.fromisoformat(str(raw)[:10]) if len(str(raw)) <= 10 else _parse_moment(raw).date()
    except ValueError:
        raise ValidationFailed(fields={field_name: [_("Enter a valid date (YYYY-MM-DD).")]}) from None


def _parse_moment(raw) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_range(start_raw, end_raw) -> tuple[datetime.date, datetime.date]:
    """The API's ``start`` and ``end`` (dates, end exclusive), at most 62 days apart."""
    start = parse_day(start_raw, field_name="start")
    end = parse_day(end_raw, field_name="end")
    if end <= start:
        raise ValidationFailed(fields={"end": [_("The end must be after the start.")]})
    if (end - start).days > CALENDAR_MAX_DAYS:
        raise ValidationFailed(
            fields={"end": [_("Ask for at most %(days)s days at once.") % {"days": CALENDAR_MAX_DAYS}]}
        )
    return start, end


def calendar_events(who: Who, start: datetime.date, end: datetime.date) -> tuple[list[Activity], bool]:
    """Meetings starting and tasks due (open or done) in [start, end) in the active
    time zone, in time order; at most CALENDAR_MAX_EVENTS (and whether more exist)."""
    lo, _ = local_day_bounds(start)
    hi, _ = local_day_bounds(end)
    qs = (
        activities_of(who, lo, hi)
        .filter(
            Q(kind=ActivityKind.MEETING, occurred_at__gte=lo, occurred_at__lt=hi)
            | Q(kind=ActivityKind.TASK, due_at__gte=lo, due_at__lt=hi)
        )
        .select_related(*ACTIVITY_RELATED)
        .annotate(when=Coalesce("due_at", "occurred_at"))
        .order_by("when", "pk")
    )
    rows = list(qs[: CALENDAR_MAX_EVENTS + 1])
    return rows[:CALENDAR_MAX_EVENTS], len(rows) > CALENDAR_MAX_EVENTS


def event_start(activity: Activity) -> datetime.datetime:
    return activity.due_at if activity.kind == ActivityKind.TASK else activity.occurred_at


def event_end(activity: Activity) -> datetime.datetime | None:
    if activity.kind == ActivityKind.MEETING:
        return activity.end_at
    return None


def record_of(activity: Activity):
    """The record an item links to first: deal, lead, contact, then company."""
    for name in ("deal", "lead", "contact", "company"):
        if getattr(activity, f"{name}_id"):
            return getattr(activity, name)
    return None


# Feed -----------------------------------------------------------------------------------
FEED_PAST_DAYS = 60
FEED_FUTURE_DAYS = 365
FEED_MAX_EVENTS = 3000


def feed_activities(user, *, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """What a user's feed holds: their meetings and the meetings they attend (only
    those they may see), and their open tasks with a due time, from 60 days back to a
    year ahead, not deleted."""
    now = now or timezone.now()
    lo = now - datetime.timedelta(days=FEED_PAST_DAYS)
    hi = now + datetime.timedelta(days=FEED_FUTURE_DAYS)
    mine = Q(owner_id=user.pk)
    attended = attended_ids(user.pk, lo, hi)
    return visible_to(user, Activity).filter(
        (mine & Q(kind=ActivityKind.MEETING, occurred_at__gte=lo, occurred_at__lt=hi))
        | Q(kind=ActivityKind.MEETING, pk__in=attended, occurred_at__gte=lo, occurred_at__lt=hi)
        | (mine & Q(kind=ActivityKind.TASK, done=False, due_at__gte=lo, due_at__lt=hi))
    )


def user_zone(user) -> zoneinfo.ZoneInfo:
    from django.conf import settings

    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
