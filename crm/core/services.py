"""Generic writes every record type shares. Domain services call these.

Each function validates, saves inside a transaction, writes the audit row, and
checks the actor's rights itself, so a page, the API, an import or an automation
rule cannot skip a rule by taking another path. ``actor=None`` means the system.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record, diff, snapshot

from .customfields import clean_custom_values
from .errors import ConflictError, PermissionDeniedError, ValidationFailed
from .models import Tag
from .visibility import can_access, visible_to


def _perm(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def require_perm(actor, model, action: str) -> None:
    if actor is not None and not actor.has_perm(_perm(model, action)):
        raise PermissionDeniedError()


def require_write(actor, instance) -> None:
    if actor is not None and not can_access(actor, instance, "write"):
        raise PermissionDeniedError()


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return ValidationFailed(fields={"__all__": [str(m) for m in exc.messages]})


def _set_tags(instance, tags: Iterable[str] | None) -> list[str] | None:
    if tags is None:
        return None
    names = sorted({t.strip()[:60] for t in tags if t and t.strip()})
    tag_objs = []
    for name in names:
        tag, _created = Tag.objects.get_or_create(name=name)
        tag_objs.append(tag)
    instance.tags.set(tag_objs)
    return names


def _current_tags(instance) -> list[str]:
    return sorted(instance.tags.values_list("name", flat=True))


def require_visible_links(actor, model, data: dict[str, Any]) -> None:
    """A link to another CRM record (a contact's company, a company's parent) must
    point at a record the actor may see, whichever path the data came by. A hidden
    record is refused like a missing one, so its existence does not leak."""
    if actor is None:
        return
    from .registry import record_type_for

    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not field.many_to_one or value is None or record_type_for(field.related_model) is None:
            continue
        pk = value.pk if isinstance(value, models.Model) else value
        if not visible_to(actor, field.related_model).filter(pk=pk).exists():
            errors[name] = [_("Select a valid choice. That choice is not one of the available choices.")]
    if errors:
        raise ValidationFailed(fields=errors)


def record_create(
    *,
    model: type[models.Model],
    actor,
    data: dict[str, Any],
    custom_fields: dict | None = None,
    tags: Iterable[str] | None = None,
) -> models.Model:
    require_perm(actor, model, "add")
    require_visible_links(actor, model, data)
    instance = model(**data)
    if getattr(instance, "owner_id", None) is None and actor is not None and hasattr(instance, "owner_id"):
        instance.owner = actor
    if hasattr(instance, "custom_fields"):
        instance.custom_fields = clean_custom_values(model, custom_fields or {})
    try:
        instance.full_clean(exclude=["tags"])
    except ValidationError as exc:
        raise _validation_failed(exc) from None
    with transaction.atomic():
        instance.save()
        tag_names = _set_tags(instance, tags) if hasattr(instance, "tags") else None
        changes = [
            {"field": k, "old": None, "new": v}
            for k, v in snapshot(instance).items()
            if v not in (None, "", {}, []) and k not in {"id", "created_at"}
        ]
        if tag_names:
            changes.append({"field": "tags", "old": None, "new": tag_names})
        audit_record(action=Action.CREATE, actor=actor, instance=instance, changes=changes)
    return instance


def record_update(
    *,
    instance: models.Model,
    actor,
    data: dict[str, Any],
    expected_version: int | None = None,
    custom_fields: dict | None = None,
    tags: Iterable[str] | None = None,
) -> models.Model:
    """Apply changes, refusing a stale edit with ConflictError (HTTP 409)."""
    model = type(instance)
    require_perm(actor, model, "change")
    with transaction.atomic():
        # The stored row decides, not the caller's copy (a form may have changed it).
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        require_write(actor, current)
        require_visible_links(actor, model, data)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        before = snapshot(current)
        tags_before = _current_tags(current) if hasattr(current, "tags") else None
        for name, value in data.items():
            setattr(current, name, value)
        if custom_fields is not None and hasattr(current, "custom_fields"):
            current.custom_fields = clean_custom_values(model, custom_fields, existing=before.get("custom_fields"))
        try:
            current.full_clean(exclude=["tags"])
        except ValidationError as exc:
            raise _validation_failed(exc) from None
        changes = diff(before, snapshot(current))
        tag_names = _set_tags(current, tags) if tags is not None and hasattr(current, "tags") else None
        if tag_names is not None and tag_names != tags_before:
            changes.append({"field": "tags", "old": tags_before, "new": tag_names})
        if changes:
            if hasattr(current, "version"):
                current.version = current.version + 1
            current.save()
            audit_record(action=Action.UPDATE, actor=actor, instance=current, changes=changes)
    return current


def record_delete(*, instance: models.Model, actor) -> models.Model:
    """Move a record to the recycle bin."""
    model = type(instance)
    require_perm(actor, model, "delete")
    require_write(actor, instance)
    with transaction.atomic():
        model.all_objects.filter(pk=instance.pk).update(
            deleted_at=timezone.now(), deleted_by=actor if actor is not None else None
        )
        instance.refresh_from_db(from_queryset=model.all_objects.all())
        audit_record(action=Action.DELETE, actor=actor, instance=instance)
    return instance


def record_restore(*, instance: models.Model, actor) -> models.Model:
    model = type(instance)
    require_perm(actor, model, "delete")
    require_write(actor, instance)
    with transaction.atomic():
        model.all_objects.filter(pk=instance.pk).update(deleted_at=None, deleted_by=None)
        instance.refresh_from_db(from_queryset=model.all_objects.all())
        audit_record(action=Action.RESTORE, actor=actor, instance=instance)
    return instance


def record_purge(*, instance: models.Model, actor) -> None:
    """Delete for good. Only records already in the recycle bin can be purged."""
    model = type(instance)
    if instance.deleted_at is None:
        raise ValidationFailed(_("Only records in the recycle bin can be deleted for good."))
    require_perm(actor, model, "delete")
    require_write(actor, instance)
    with transaction.atomic():
        audit_record(action=Action.PURGE, actor=actor, instance=instance)
        model.all_objects.filter(pk=instance.pk).delete()


def recycle_bin_purge_expired(*, days: int, now: datetime.datetime | None = None) -> int:
    """Purge every record deleted more than ``days`` ago. Returns how many."""
    from .registry import record_types

    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    purged = 0
    for record_type in record_types():
        model = record_type.model
        if not hasattr(model, "all_objects"):
            continue
        for instance in model.all_objects.filter(deleted_at__lt=cutoff).iterator(chunk_size=500):
            record_purge(instance=instance, actor=None)
            purged += 1
    return purged


def database_optimize() -> str:
    """Refresh the query planner's statistics.

    SQLite keeps none until ANALYZE runs; without them it sorts a whole team's
    records to show one page (seen at 1M contacts: 1.5 s instead of 4 ms).
    PostgreSQL's autovacuum does this on its own; an explicit ANALYZE after a bulk
    load makes the statistics right at once.
    """
    from django.db import connection

    # A full ANALYZE: with SQLite's analysis_limit the sampled statistics still led
    # the planner to the slow plan. It takes under a second at 1M contacts.
    # On PostgreSQL, VACUUM also renews the visibility map that index-only scans
    # need: after a migration rewrote 1M rows the dashboard's counts went from
    # 130 ms to 480 ms until it ran. VACUUM cannot run inside a transaction.
    statement = "ANALYZE"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        statement = "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return statement


def records_bulk_apply(*, queryset, actor, apply) -> tuple[int, list[int]]:
    """Apply one change, ``apply(record)``, to every record of ``queryset`` in one
    transaction. Records the actor may see but not change are skipped (their ids are
    returned); any error stops the batch and undoes what it had done, so a bulk edit
    is never half applied. Returns (records changed, ids skipped)."""
    done, skipped = 0, []
    with transaction.atomic():
        for record in queryset.order_by("pk"):
            if actor is not None and not can_access(actor, record, "write"):
                skipped.append(record.pk)
                continue
            try:
                apply(record)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    _("“%(record)s” could not be changed, so nothing was: %(reason)s")
                    % {"record": record, "reason": exc.message},
                    fields=exc.fields,
                ) from None
            done += 1
    return done, skipped
