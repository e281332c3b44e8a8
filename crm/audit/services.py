"""Writing audit rows. Every service that changes data calls one of these."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from crm.core.context import current_context

from .models import AuditEntry

Action = AuditEntry.Action


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the log."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def audit_record(
    *,
    action: str,
    actor=None,
    instance: models.Model | None = None,
    changes: list[dict] | None = None,
    extra: dict | None = None,
    object_repr: str = "",
    actor_name: str = "",
) -> AuditEntry:
    entry = audit_entry(
        action=action,
        actor=actor,
        instance=instance,
        changes=changes,
        extra=extra,
        object_repr=object_repr,
        actor_name=actor_name,
    )
    entry.save()
    return entry


def audit_entry(
    *,
    action: str,
    actor=None,
    instance: models.Model | None = None,
    changes: list[dict] | None = None,
    extra: dict | None = None,
    object_repr: str = "",
    actor_name: str = "",
) -> AuditEntry:
    """The audit row ``audit_record`` writes, not yet saved: a bulk write (an import's
    updates) saves many with one ``bulk_create`` in the transaction of its change."""
    ctx = current_context()
    entry = AuditEntry(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_name=actor_name or (actor.get_username() if actor is not None and getattr(actor, "pk", None) else ""),
        changes=[{**c, "old": _plain(c.get("old")), "new": _plain(c.get("new"))} for c in (changes or [])],
        extra=_plain(extra or {}),
        ip=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
    )
    if instance is not None:
        entry.content_type = ContentType.objects.get_for_model(instance, for_concrete_model=True)
        entry.object_id = str(instance.pk)
        entry.object_repr = (object_repr or str(instance))[:200]
    else:
        entry.object_repr = object_repr[:200]
    return entry


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The current values of the concrete, editable fields, for a later diff."""
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"updated_at", "version"}:
            continue
        values[field.name] = getattr(instance, field.attname)
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict]:
    changes = []
    for name, old in before.items():
        new = after.get(name)
        if name == "custom_fields" and isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes.append({"field": f"custom_fields.{key}", "old": old.get(key), "new": new.get(key)})
            continue
        if old != new:
            changes.append({"field": name, "old": old, "new": new})
    return changes
