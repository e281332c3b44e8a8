"""Logging an activity and setting the next step in one go: the call (or meeting, note,
e-mail) is saved, the next step becomes an open task on the same records, and, when
the activity is about a deal the actor may change, the deal's next step and date follow.
All or nothing: a refused next step leaves nothing saved."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.errors import ValidationFailed
from crm.core.visibility import can_access

from . import services
from .models import LINK_FIELDS, Activity, ActivityKind

NEXT_STEP_FIELDS = ("subject", "due_at")


def _clean_next_step(next_step: dict) -> dict:
    unknown = sorted(set(next_step) - set(NEXT_STEP_FIELDS))
    errors = {f"next_step.{key}": [_("This field cannot be set.")] for key in unknown}
    subject = next_step.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        errors["next_step.subject"] = [_("Say what the next step is.")]
    due = next_step.get("due_at")
    if due is not None and not hasattr(due, "tzinfo"):
        errors["next_step.due_at"] = [_("Enter a valid date and time.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return {"subject": subject.strip(), "due_at": due}


def activity_log(*, actor, data: dict, next_step: dict | None = None, custom_fields=None, tags=None) -> Activity:
    """``activity_create`` plus, with ``next_step`` ({"subject", "due_at"}), the follow-up
    task and the deal's next step. Returns the logged activity; the task is
    ``activity.next_task``."""
    if next_step is not None:
        next_step = _clean_next_step(next_step)
        if data.get("kind") == ActivityKind.TASK:
            raise ValidationFailed(fields={"next_step.subject": [_("A task is itself the next step.")]})
    with transaction.atomic():
        activity = services.activity_create(actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        activity.next_task = None
        if next_step is None:
            return activity
        links = {name: getattr(activity, name) for name in LINK_FIELDS if getattr(activity, f"{name}_id")}
        try:
            activity.next_task = services.activity_create(
                actor=actor,
                data={
                    **links,
                    "kind": ActivityKind.TASK,
                    "subject": next_step["subject"],
                    "due_at": next_step["due_at"],
                },
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                fields={f"next_step.{k}" if k != "__all__" else k: v for k, v in exc.fields.items()}
            ) from None
        deal = activity.deal
        if (
            deal is not None
            and actor is not None
            and actor.has_perm("deals.change_deal")
            and can_access(actor, deal, "write")
        ):
            from crm.deals.services import deal_update

            due = next_step["due_at"]
            deal_update(
                instance=deal,
                actor=actor,
                data={
                    "next_step": next_step["subject"][:200],
                    "next_step_date": timezone.localtime(due).date() if due else None,
                },
            )
    return activity
