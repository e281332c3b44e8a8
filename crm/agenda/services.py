"""Writes of the agenda: the calendar feed link, and moving an item on the calendar
(through ``crm.activities.services.activity_update``, so permissions, the version
check and the audit row are the activities app's)."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.activities.models import Activity, ActivityKind
from crm.activities.services import activity_update
from crm.audit.models import AuditEntry
from crm.audit.services import audit_record
from crm.core.errors import ValidationFailed

from .models import CalendarFeed

FEED_KEY_PREFIX = "cal_"
# A calendar polls every few minutes; the last use is written at most this often.
FEED_TOUCH_EVERY = datetime.timedelta(minutes=10)


def feed_create(*, user) -> tuple[CalendarFeed, str]:
    """A new secret feed link for ``user``; any previous link stops working. Returns
    the feed and its key, which is not stored and cannot be shown again."""
    key = FEED_KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = CalendarFeed.objects.filter(user=user).delete()[0] > 0
        feed = CalendarFeed.objects.create(user=user, prefix=key[:12], key_hash=CalendarFeed.hash_key(key))
        audit_record(
            action=AuditEntry.Action.PERMISSION,
            actor=user,
            instance=user,
            changes=[{"field": "calendar_feed", "old": "replaced" if replaced else None, "new": feed.prefix}],
        )
    return feed, key


def feed_revoke(*, user) -> bool:
    """Turn the user's feed off; True when there was one."""
    with transaction.atomic():
        feed = CalendarFeed.objects.filter(user=user).first()
        if feed is None:
            return False
        feed.delete()
        audit_record(
            action=AuditEntry.Action.PERMISSION,
            actor=user,
            instance=user,
            changes=[{"field": "calendar_feed", "old": feed.prefix, "new": None}],
        )
    return True


def feed_for_key(key: str) -> CalendarFeed | None:
    """The active feed of this key (of an active user), or None."""
    if not key or len(key) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(key_hash=CalendarFeed.hash_key(key)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed


def feed_touch(*, feed: CalendarFeed, now=None) -> None:
    now = now or timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= FEED_TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now


def event_move(
    *,
    activity: Activity,
    actor,
    start: datetime.datetime | None = None,
    day: datetime.date | None = None,
    expected_version: int | None = None,
) -> Activity:
    """Move a meeting or a task on the calendar. With ``day``, it keeps its time of day
    (in the active time zone); with ``start``, it starts then. A meeting keeps its
    duration. Only meetings and open tasks move."""
    if activity.kind not in (ActivityKind.MEETING, ActivityKind.TASK):
        raise ValidationFailed(fields={"kind": [_("Only meetings and tasks are on the calendar.")]})
    if activity.kind == ActivityKind.TASK and activity.done:
        raise ValidationFailed(fields={"done": [_("A task that is done cannot be moved.")]})
    current = activity.due_at if activity.kind == ActivityKind.TASK else activity.occurred_at
    if current is None:
        raise ValidationFailed(fields={"due_at": [_("This task has no due date to move.")]})
    if (start is None) == (day is None):
        raise ValidationFailed(fields={"start": [_("Give either the new start or the new day.")]})
    if start is None:
        local = timezone.localtime(current)
        naive = datetime.datetime.combine(day, local.time().replace(tzinfo=None))
        start = timezone.make_aware(naive, timezone.get_current_timezone())
    if activity.kind == ActivityKind.TASK:
        data = {"due_at": start}
    else:
        data = {"occurred_at": start}
        if activity.end_at is not None:
            data["end_at"] = start + (activity.end_at - activity.occurred_at)
    return activity_update(instance=activity, actor=actor, data=data, expected_version=expected_version)
