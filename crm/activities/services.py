"""Writes for activities. Pages, the API and the 360 quick actions all come here, so
every activity is linked to at least one record the actor may see, is audited, and
keeps its deal's ``last_activity_at`` current."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import services as core
from crm.core.errors import ValidationFailed
from crm.core.text import clean_text

from .models import LINK_FIELDS, Activity, ActivityKind

MAX_DURATION_MINUTES = 24 * 60
# The fields that belong to one kind only; the others are cleared.
KIND_FIELDS = {
    "due_at": ActivityKind.TASK,
    "direction": ActivityKind.CALL,
    "duration_minutes": ActivityKind.CALL,
    "outcome": ActivityKind.CALL,
    "end_at": ActivityKind.MEETING,
    "place": ActivityKind.MEETING,
}
BLANK = {"due_at": None, "duration_minutes": None, "end_at": None, "direction": "", "outcome": "", "place": ""}
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
    if isinstance(cleaned.get("body"), str):
        cleaned["body"] = cleaned["body"].strip()
    kind = _current(instance, cleaned, "kind") or ActivityKind.NOTE
    if kind in ActivityKind.values:
        for name, owner_kind in KIND_FIELDS.items():
            if kind != owner_kind and (name in cleaned or (instance is not None and "kind" in cleaned)):
                cleaned[name] = BLANK[name]
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

    if activity.deal_id is not None:
        deal_touch(deal_id=activity.deal_id, when=when)
    customers_touch(company_id=activity.company_id, contact_id=activity.contact_id, when=when)


def activity_create(*, actor, data: dict, custom_fields=None, tags=None) -> Activity:
    data = _clean(data)
    with transaction.atomic():
        activity = core.record_create(model=Activity, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        _touch_deal(activity)
    return activity


def activity_update(
    *, instance: Activity, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Activity:
    data = _clean(data, instance)
    with transaction.atomic():
        activity = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        _touch_deal(activity)
    return activity


def activity_delete(*, instance: Activity, actor) -> Activity:
    return core.record_delete(instance=instance, actor=actor)


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
