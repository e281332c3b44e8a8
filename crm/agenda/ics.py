"""The private calendar feed as iCalendar (RFC 5545), built with the icalendar library
(escaping, UTF-8 and line folding are its job).

Phone calendars show events and skip to-do components, so each open task is written
as a short event at its due time. Times are written in UTC; X-WR-TIMEZONE tells the calendar app the owner's zone.
"""

from __future__ import annotations

import datetime
import hashlib
import html

import icalendar
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.activities.models import Activity, ActivityKind

from . import selectors

PRODID = "-//CRM//Agenda feed//EN"
TASK_MINUTES = 15


def _plain(text: str) -> str:
    """The body as plain text: notes may hold sanitised rich text."""
    if not text:
        return ""
    text = text.replace("<br>", "\n").replace("<br/>", "\n").replace("</p>", "\n")
    return html.unescape(strip_tags(text)).strip()


def feed_queryset(user, *, now=None):
    qs = selectors.feed_activities(user, now=now).select_related(*selectors.ACTIVITY_RELATED)
    prefetch = [name for name in ("attendee_users", "attendee_contacts") if selectors.has_field(Activity, name)]
    if prefetch:
        qs = qs.prefetch_related(*prefetch)
    return qs.order_by("occurred_at", "pk")


def feed_fingerprint(user, *, now=None) -> tuple[str, datetime.datetime | None]:
    """(ETag, Last-Modified) of a user's feed from one aggregate query: it changes when
    an activity in the window is added, changed, deleted or moved out, when the window
    moves on a day, and when the owner's name or zone changes."""
    now = now or timezone.now()
    found = selectors.feed_activities(user, now=now).aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    last = found["last"]
    raw = "|".join(
        str(part)
        for part in (
            found["n"],
            last.isoformat() if last else "",
            found["top"],
            timezone.localdate(now, selectors.user_zone(user)).isoformat(),
            str(user),
            user.time_zone,
            user.language if hasattr(user, "language") else "",
        )
    )
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"', last


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _description(activity: Activity, link: str) -> str:
    parts = []
    record = selectors.record_of(activity)
    if record is not None:
        parts.append(str(record))
    body = _plain(activity.body)
    if body:
        parts.append(body)
    parts.append(_("Open in the CRM: %(url)s") % {"url": link})
    return "\n\n".join(parts)


def _attendees(activity: Activity) -> list[icalendar.vCalAddress]:
    found = []
    seen = set()
    people = []
    if selectors.has_field(Activity, "attendee_users"):
        people += [(u.email, str(u)) for u in activity.attendee_users.all()]
    if selectors.has_field(Activity, "attendee_contacts"):
        people += [(getattr(c, "email", ""), str(c)) for c in activity.attendee_contacts.all()]
    for email, name in people:
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        address = icalendar.vCalAddress(f"mailto:{email}")
        address.params["cn"] = icalendar.vText(name)
        found.append(address)
    return found


def build_feed(user, *, host: str, base_url: str, now=None) -> bytes:
    """The feed's bytes. ``host`` makes the UIDs (stable per activity), ``base_url``
    (scheme and host) the links back to the CRM."""
    now = now or timezone.now()
    zone = selectors.user_zone(user)
    language = getattr(user, "language", "") or None
    with override(language):
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("CRM: %(name)s") % {"name": str(user)})
        cal.add("x-wr-timezone", str(zone.key))
        cal.add("x-published-ttl", "PT15M")
        rows = list(feed_queryset(user, now=now)[: selectors.FEED_MAX_EVENTS])
        for activity in rows:
            cal.add_component(_event(activity, host=host, base_url=base_url, now=now))
        return cal.to_ical()


def _event(activity: Activity, *, host: str, base_url: str, now) -> icalendar.Event:
    link = base_url.rstrip("/") + activity.get_absolute_url()
    event = icalendar.Event()
    event.add("uid", f"activity-{activity.pk}@{host}")
    event.add("dtstamp", _utc(now))
    if activity.kind == ActivityKind.TASK:
        start = activity.due_at
        end = start + datetime.timedelta(minutes=TASK_MINUTES)
        summary = _("Task: %(subject)s") % {"subject": activity.subject}
    else:
        start = activity.occurred_at
        end = activity.end_at if activity.end_at and activity.end_at > start else start + datetime.timedelta(hours=1)
        summary = activity.subject
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(end))
    event.add("summary", summary)
    if getattr(activity, "place", ""):
        event.add("location", activity.place)
    event.add("description", _description(activity, link))
    event.add("url", link)
    event.add("last-modified", _utc(activity.updated_at))
    event.add("created", _utc(activity.created_at))
    event.add("sequence", activity.version)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE" if activity.kind == ActivityKind.MEETING else "TRANSPARENT")
    for address in _attendees(activity):
        event.add("attendee", address)
    minutes = getattr(activity, "remind_minutes_before", None)
    if minutes is not None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", datetime.timedelta(minutes=-int(minutes)))
        event.add_component(alarm)
    return event
