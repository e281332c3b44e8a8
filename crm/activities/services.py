"""Writes for activities. Pages, the API and the 360 quick actions all come here, so
every activity is linked to at least one record the actor may see, is audited, and
keeps its deal's ``last_activity_at`` current."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record
from crm.contacts.models import Contact
from crm.core import services as core
from crm.core.errors import ValidationFailed
from crm.core.text import build_search_text, clean_text
from crm.core.visibility import visible_to

from .models import ATTENDEE_FIELDS, LINK_FIELDS, MAX_REMIND_MINUTES, Activity, ActivityKind, sanitize_html

MAX_DURATION_MINUTES = 24 * 60
# The fields that belong to some kinds only; the others are cleared.
KIND_FIELDS = {
    "due_at": {ActivityKind.TASK},
    "direction": {ActivityKind.CALL},
    "duration_minutes": {ActivityKind.CALL},
    "outcome": {ActivityKind.CALL},
    "end_at": {ActivityKind.MEETING},
    "place": {ActivityKind.MEETING},
    "remind_minutes_before": {ActivityKind.TASK, ActivityKind.MEETING},
    "attendee_users": {ActivityKind.MEETING},
    "attendee_contacts": {ActivityKind.MEETING},
}
BLANK = {
    "due_at": None,
    "duration_minutes": None,
    "end_at": None,
    "direction": "",
    "outcome": "",
    "place": "",
    "remind_minutes_before": None,
    "attendee_users": [],
    "attendee_contacts": [],
}
FOLLOW_UP_FIELDS = ("subject", "body", "due_at", "priority", "owner")


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _current(instance: Activity | None, data: dict, name: str):
    if name in data:
        return data[name]
    if instance is None:
        return None
    return getattr(instance, f"{name}_id") if name in LINK_FIELDS else getattr(instance, name)


def _clean(data: dict, instance: Activity | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for key in sorted(set(cleaned) - set(Activity.EDITABLE_FIELDS)):
        _add(errors, key, _("This field cannot be set."))
    for key in ("subject", "outcome", "place"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    kind = _current(instance, cleaned, "kind") or ActivityKind.NOTE
    if isinstance(cleaned.get("body"), str):
        cleaned["body"] = cleaned["body"].strip()
    if kind == ActivityKind.NOTE and (
        isinstance(cleaned.get("body"), str) or (instance is not None and "kind" in cleaned)
    ):
        # A note's body is rich text: sanitised on every write (and when shown).
        body = cleaned.get("body", instance.body if instance is not None else "")
        cleaned["body"] = sanitize_html(body if isinstance(body, str) else "").strip()
    if kind in ActivityKind.values:
        for name, owner_kinds in KIND_FIELDS.items():
            if kind not in owner_kinds and (name in cleaned or (instance is not None and "kind" in cleaned)):
                cleaned[name] = BLANK[name]
    remind = cleaned.get("remind_minutes_before")
    if remind is not None and (isinstance(remind, bool) or not isinstance(remind, int)):
        _add(errors, "remind_minutes_before", _("Give the reminder as a whole number of minutes."))
    elif remind is not None and not 0 <= remind <= MAX_REMIND_MINUTES:
        _add(
            errors,
            "remind_minutes_before",
            _("A reminder goes between 0 and %(max)s minutes (four weeks) before.") % {"max": MAX_REMIND_MINUTES},
        )
    if not any(_current(instance, cleaned, name) for name in LINK_FIELDS):
        _add(errors, "__all__", _("Link the activity to a company, a contact, a deal or a lead."))
    duration = cleaned.get("duration_minutes")
    if isinstance(duration, int) and not isinstance(duration, bool) and duration > MAX_DURATION_MINUTES:
        _add(errors, "duration_minutes", _("A call lasts at most 24 hours (1440 minutes)."))
    start, end = _current(instance, cleaned, "occurred_at"), _current(instance, cleaned, "end_at")
    if kind == ActivityKind.MEETING and start and end and hasattr(end, "tzinfo") and end < start:
        _add(errors, "end_at", _("A meeting cannot end before it starts."))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _ids(value) -> list[int] | None:
    """Ids from a list of ids or of objects (or a queryset); None when it is not one."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        return None
    ids = []
    for item in value:
        pk = item.pk if isinstance(item, models.Model) else item
        if isinstance(pk, str) and pk.strip().isdigit():
            pk = int(pk)
        if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
            return None
        ids.append(pk)
    return list(dict.fromkeys(ids))


def _attendees(actor, data: dict) -> dict[str, list[int]]:
    """Take the attendee lists out of ``data`` (they are not columns), as ids checked
    against what the actor may see: a forged or hidden contact is refused like a
    missing one, and only active users can be invited."""
    wanted: dict[str, list[int]] = {}
    errors: dict[str, list[str]] = {}
    for name in ATTENDEE_FIELDS:
        if name not in data:
            continue
        ids = _ids(data.pop(name))
        if ids is None:
            _add(errors, name, _("Give a list of ids."))
            continue
        if name == "attendee_contacts":
            candidates = visible_to(actor, Contact) if actor is not None else Contact.objects.all()
        else:
            candidates = get_user_model().objects.filter(is_active=True)
        found = set(candidates.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            _add(
                errors,
                name,
                _("Select a valid choice. %(ids)s is not one of the available choices.")
                % {"ids": ", ".join(map(str, missing))},
            )
        wanted[name] = ids
    if errors:
        raise ValidationFailed(fields=errors)
    return wanted


def _set_attendees(activity: Activity, actor, wanted: dict[str, list[int]], *, version_before: int | None) -> None:
    """Write the attendee lists and audit what changed; a change of attendees alone
    is a new version too, so an edit form opened before it is stale."""
    changes = []
    for name, ids in wanted.items():
        relation = getattr(activity, name)
        before = sorted(relation.values_list("pk", flat=True))
        after = sorted(ids)
        if before != after:
            relation.set(after)
            changes.append({"field": name, "old": before, "new": after})
    if not changes:
        return
    if version_before is not None and activity.version == version_before:
        Activity.all_objects.filter(pk=activity.pk).update(version=models.F("version") + 1)
        activity.version += 1
    audit_record(action=Action.UPDATE, actor=actor, instance=activity, changes=changes)


def activity_search_text(*, subject: str, place: str = "", outcome: str = "") -> str:
    """What the search finds an activity by: its subject and place in every form
    (pinyin, initials) and the call outcome (crm.core.text, as for leads)."""
    return build_search_text(names=[subject, place], others=[outcome])


def activity_remind_at(activity: Activity, *, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the reminder is due: the task's due time or the meeting's start, minus the
    minutes. None without a reminder or a time, for a task done, for a deleted one, and
    when the time has already passed as it is saved (logging a past meeting, or an
    overdue task, reminds no one of it)."""
    start = activity.starts_at
    if activity.remind_minutes_before is None or start is None or activity.deleted_at is not None:
        return None
    if activity.kind == ActivityKind.TASK and activity.done:
        return None
    if start <= (now or timezone.now()):
        return None
    return start - datetime.timedelta(minutes=activity.remind_minutes_before)


def _refresh_derived(activity: Activity) -> None:
    """The columns the services compute (search text, reminder time), written with
    their own UPDATE after the generic service so they stay out of the audit log.
    A reminder moved into the future is armed again."""
    text = activity_search_text(subject=activity.subject, place=activity.place, outcome=activity.outcome)
    values = {"search_text": text}
    remind_at = activity_remind_at(activity)
    values["remind_at"] = remind_at
    if remind_at != activity.remind_at and remind_at is not None and remind_at > timezone.now():
        values["reminded_at"] = None
    changed = {k: v for k, v in values.items() if getattr(activity, k) != v}
    if changed:
        Activity.all_objects.filter(pk=activity.pk).update(**changed)
        for key, value in changed.items():
            setattr(activity, key, value)


def _touch_deal(activity: Activity) -> None:
    """The last activity of the records it is logged with (deal, company, contact): moved
    forward through their apps' services, with no audit row and no new version."""
    if not activity.counts_as_contact:
        return
    when = activity.done_at if activity.is_task else activity.occurred_at
    if when is None:
        return
    from crm.contacts.services import customers_touch
    from crm.deals.services import deal_touch
    from crm.leads.services import lead_touch

    if activity.deal_id is not None:
        deal_touch(deal_id=activity.deal_id, when=when)
    if activity.lead_id is not None:
        lead_touch(lead_id=activity.lead_id, when=when)
    customers_touch(company_id=activity.company_id, contact_id=activity.contact_id, when=when)


def activity_create(*, actor, data: dict, custom_fields=None, tags=None) -> Activity:
    data = _clean(data)
    attendees = _attendees(actor, data)
    with transaction.atomic():
        activity = core.record_create(model=Activity, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        _refresh_derived(activity)
        _set_attendees(activity, actor, attendees, version_before=None)
        _touch_deal(activity)
    return activity


def activity_update(
    *, instance: Activity, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Activity:
    data = _clean(data, instance)
    attendees = _attendees(actor, data)
    with transaction.atomic():
        version_before = Activity.all_objects.filter(pk=instance.pk).values_list("version", flat=True).first()
        activity = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        _refresh_derived(activity)
        _set_attendees(activity, actor, attendees, version_before=version_before)
        _touch_deal(activity)
    return activity


def activity_delete(*, instance: Activity, actor) -> Activity:
    """To the recycle bin; its reminder is dropped (editing it after a restore sets it again)."""
    with transaction.atomic():
        activity = core.record_delete(instance=instance, actor=actor)
        _refresh_derived(activity)
    return activity


def activity_complete(*, activity: Activity, actor, follow_up: dict | None = None, expected_version=None):
    """Mark a task done (its time becomes the time it was done) and, with ``follow_up``
    (subject, and optionally body, due_at, priority, owner), create the next task on
    the same records, all or nothing. Returns (task, follow-up task or None)."""
    if not activity.is_task:
        raise ValidationFailed(fields={"kind": [_("Only a task can be marked done.")]})
    if activity.done:
        raise ValidationFailed(fields={"done": [_("This task is already done.")]})
    if follow_up is not None:
        unknown = sorted(set(follow_up) - set(FOLLOW_UP_FIELDS))
        if unknown:
            raise ValidationFailed(fields={f"follow_up.{k}": [_("This field cannot be set.")] for k in unknown})
    now = timezone.now()
    with transaction.atomic():
        task = core.record_update(
            instance=activity,
            actor=actor,
            data={"done": True, "done_at": now, "occurred_at": now},
            expected_version=expected_version,
        )
        _refresh_derived(task)  # a task done reminds no one
        _touch_deal(task)
        created = None
        if follow_up is not None:
            links = {name: getattr(task, name) for name in LINK_FIELDS if getattr(task, f"{name}_id")}
            try:
                created = activity_create(actor=actor, data={**links, **follow_up, "kind": ActivityKind.TASK})
            except ValidationFailed as exc:
                raise ValidationFailed(
                    fields={f"follow_up.{k}" if k != "__all__" else k: v for k, v in exc.fields.items()}
                ) from None
    return task, created
