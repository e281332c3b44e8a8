"""What activities add to the 360-degree pages of companies, contacts, deals and leads
(see crm.core.timeline): the timeline of logged activities, the quick actions to log
one, and when the customer was last contacted. Each reads one query, however many
activities there are."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import KeyFigure, QuickAction, TimelineItem
from crm.core.visibility import visible_to

from .models import Activity, ActivityKind

TIMELINE_FIELD = {
    "contacts.company": "company",
    "contacts.contact": "contact",
    "deals.deal": "deal",
    "leads.lead": "lead",
}


def _link_field(record) -> str | None:
    return TIMELINE_FIELD.get(record._meta.label_lower)


def activities_of(record, user):
    field = _link_field(record)
    if field is None:
        return Activity.objects.none()
    return visible_to(user, Activity).filter(**{field: record})


def activities_timeline(record, user, limit: int) -> list[TimelineItem]:
    """The record's newest activities (tasks by when they were done, open tasks by when
    they were created), in one query."""
    rows = activities_of(record, user).select_related("owner").order_by("-occurred_at", "-id")[:limit]
    kinds = dict(ActivityKind.choices)
    items = []
    for activity in rows:
        label = kinds.get(activity.kind, activity.kind)
        if activity.is_task:
            label = gettext("Task done") if activity.done else gettext("Open task")
        items.append(
            TimelineItem(
                when=activity.occurred_at,
                kind=f"activity.{activity.kind}",
                title=gettext("%(kind)s: %(subject)s") % {"kind": label, "subject": activity.subject},
                actor=activity.owner.get_username() if activity.owner else "",
                url=activity.get_absolute_url(),
            )
        )
    return items


# Quick actions ------------------------------------------------------------------------
def _initial_query(record) -> str | None:
    field = _link_field(record)
    if field is None:
        return None
    query = f"?{field}={record.pk}"
    if field == "contact" and record.company_id:
        query += f"&company={record.company_id}"
    return query


def _action(record, user, label, kind: str) -> QuickAction | None:
    if not user.has_perm("activities.add_activity"):
        return None
    query = _initial_query(record)
    if query is None:
        return None
    return QuickAction(label, reverse("activities:activity_add") + f"{query}&kind={kind}")


def log_call(record, user) -> QuickAction | None:
    return _action(record, user, _("Log a call"), ActivityKind.CALL)


def add_note(record, user) -> QuickAction | None:
    return _action(record, user, _("Add a note"), ActivityKind.NOTE)


def add_task(record, user) -> QuickAction | None:
    return _action(record, user, _("Add a task"), ActivityKind.TASK)


def mark_done(activity, user) -> QuickAction | None:
    """On an open task's own page: mark it done (with the follow-up)."""
    from crm.core.visibility import can_access

    if not activity.is_task or activity.done or not user.has_perm("activities.change_activity"):
        return None
    if not can_access(user, activity, "write"):
        return None
    return QuickAction(_("Mark done"), reverse("activities:activity_complete", args=[activity.pk]))


# Key figures --------------------------------------------------------------------------


def last_contact_at(record, user):
    """When the newest activity that counts as contact (anything but an open task, and
    not a meeting still to come) happened, or None; one query on the (link,
    occurred_at) index, kept on the record for the page's other figure."""
    cache = record.__dict__.setdefault("_activities_last_contact", {})
    if user.pk not in cache:
        cache[user.pk] = (
            activities_of(record, user)
            .filter(~Q(kind=ActivityKind.TASK) | Q(done=True), occurred_at__lte=timezone.now())
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
    return cache[user.pk]


def _list_url(record) -> str:
    return reverse("activities:activity_list") + f"?{_link_field(record)}={record.pk}"


def last_contact(record, user) -> KeyFigure | None:
    if not user.has_perm("activities.view_activity"):
        return None
    when = last_contact_at(record, user)
    value = date_format(timezone.localtime(when).date(), "SHORT_DATE_FORMAT") if when else "—"
    return KeyFigure(_("Last contact"), value, _list_url(record))


def days_since_last_contact(record, user) -> KeyFigure | None:
    if not user.has_perm("activities.view_activity"):
        return None
    when = last_contact_at(record, user)
    if when is None:
        return None
    days = max((timezone.localdate() - timezone.localtime(when).date()).days, 0)
    return KeyFigure(_("Days since last contact"), days, _list_url(record))
