"""Merging duplicate records of any type, and undoing a merge.

    records_merge(survivor=a, others=[b, c], field_choices={"email": b.pk}, actor=user)

keeps ``a``: the chosen field values are copied onto it, custom fields and tags
are combined, every row of every model that points at ``b`` or ``c`` (found
through ``_meta.related_objects``, so apps added later are covered without
changes here) is moved to ``a``, and ``b`` and ``c`` go to the recycle bin.

The survivor's MERGE audit row holds everything the undo needs: the survivor's
values before the merge, the losers and their versions, every moved row as
(model label, row pk, field name, loser pk), the many-to-many links added to the survivor
and the link rows removed because the survivor already had the same link.
``records_merge_undo`` puts all of that back, as long as none of the records
changed since.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from crm.audit.models import AuditEntry
from crm.audit.services import Action, audit_record, diff, snapshot

from .errors import PermissionDeniedError, ValidationFailed
from .services import _validation_failed, require_perm, require_write

# Fields a merge never copies from one record to another: identity, bookkeeping,
# the recycle bin. Custom fields are merged key by key; many-to-many fields are unioned.
NOT_MERGEABLE = {"id", "version", "created_at", "updated_at", "deleted_at", "deleted_by", "custom_fields"}

# How far a chain of parents is followed when looking for a loop.
MAX_CHAIN = 1000
MERGE_LIMIT = 20


# Model label -> functions called with the survivor after a merge and after its undo,
# inside the transaction: an app refreshes what it derives from the record's fields
# (a search column, a cached total), since a merge writes the fields directly.
_AFTER_MERGE: dict[str, list[Callable[[models.Model], None]]] = {}


def register_merge_hook(model: type[models.Model], hook: Callable[[models.Model], None]) -> None:
    """Call ``hook(survivor)`` after records of ``model`` are merged or a merge is undone."""
    hooks = _AFTER_MERGE.setdefault(model._meta.label_lower, [])
    if hook not in hooks:
        hooks.append(hook)


def _run_hooks(model: type[models.Model], records: list) -> None:
    for hook in _AFTER_MERGE.get(model._meta.label_lower, []):
        for record in records:
            hook(record)


def mergeable_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields whose value the user chooses when merging records of ``model``."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in NOT_MERGEABLE and not f.many_to_many
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _lock(model, pks: list[int]) -> dict[int, models.Model]:
    return {obj.pk: obj for obj in model.all_objects.select_for_update().filter(pk__in=pks)}


def _check_access(actor, model, records) -> None:
    require_perm(actor, model, "change")
    for record in records:
        require_write(actor, record)


def _reverse_relations(model: type[models.Model]):
    """(related model, foreign key on it pointing at ``model``) for every relation to
    ``model`` from elsewhere. A many-to-many link is handled as the foreign key of its
    through model; the record's own many-to-many fields (tags) are unioned instead."""
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            yield through, through._meta.get_field(rel.field.m2m_reverse_field_name())
        else:
            yield rel.related_model, rel.field


def _move_relations(model, survivor, losers: list) -> tuple[list[list], list[dict]]:
    """Point every row that refers to a loser at the survivor, recycle bin included.

    Returns the moved rows as [model label, pk, field name, loser pk], and the link
    rows of many-to-many relations deleted because the survivor already had the same
    link (with all their values, so an undo can put them back). Any other row whose
    move would break a unique constraint stops the merge.
    """
    moved: list[list] = []
    removed: list[dict] = []
    involved = {survivor.pk} | {loser.pk for loser in losers}
    now = timezone.now()
    for related_model, fk in _reverse_relations(model):
        manager = related_model._base_manager
        rows = manager.filter(**{f"{fk.attname}__in": [loser.pk for loser in losers]})
        if related_model is model:
            rows = rows.exclude(pk__in=involved)
        unique_sets = _unique_sets_with(related_model, fk)
        for row in rows.select_for_update().order_by("pk"):
            if _would_collide(manager, row, fk, survivor.pk, unique_sets):
                if not related_model._meta.auto_created:
                    raise ValidationFailed(
                        _("%(records)s of these records cannot be combined: %(row)s would be duplicated.")
                        % {"records": related_model._meta.verbose_name_plural, "row": row}
                    )
                removed.append(
                    {
                        "model": _label(related_model),
                        "values": {f.attname: getattr(row, f.attname) for f in related_model._meta.concrete_fields},
                    }
                )
                manager.filter(pk=row.pk).delete()
                continue
            updates: dict[str, Any] = {fk.attname: survivor.pk}
            updates.update(_bump(related_model, now))
            manager.filter(pk=row.pk).update(**updates)
            moved.append([_label(related_model), row.pk, fk.name, getattr(row, fk.attname)])
    return moved, removed


def _refuse_loops(model, survivor) -> None:
    """A link to the same record type (a company's parent) must not lead back to the
    survivor, through the value chosen or through rows that were moved to it."""
    for field in model._meta.concrete_fields:
        if not (field.is_relation and field.related_model is model):
            continue
        node, seen = getattr(survivor, field.attname), set()
        while node is not None and node not in seen and len(seen) < MAX_CHAIN:
            if node == survivor.pk:
                raise ValidationFailed(
                    _("These records cannot be merged like this: the %(field)s would lead back to the record kept.")
                    % {"field": field.verbose_name},
                    fields={field.name: [_("Choose another value.")]},
                )
            seen.add(node)
            node = model._base_manager.filter(pk=node).values_list(field.attname, flat=True).first()


def _bump(model, now) -> dict[str, Any]:
    """Moving a row changes it: bump its version so an open edit form sees the change."""
    names = {f.name for f in model._meta.concrete_fields}
    updates: dict[str, Any] = {}
    if "version" in names:
        updates["version"] = F("version") + 1
    if "updated_at" in names:
        updates["updated_at"] = now
    return updates


def _unique_sets_with(model, fk) -> list[list[str]]:
    """The unique field sets of ``model`` that include ``fk``, as attnames."""
    sets: list[list[str]] = []
    if fk.unique:
        sets.append([fk.attname])
    for group in model._meta.unique_together:
        if fk.name in group:
            sets.append([model._meta.get_field(n).attname for n in group])
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", None)
        if (
            isinstance(constraint, models.UniqueConstraint)
            and fields
            and fk.name in fields
            and constraint.condition is None
        ):
            sets.append([model._meta.get_field(n).attname for n in fields])
    return sets


def _would_collide(manager, row, fk, survivor_pk, unique_sets) -> bool:
    for attnames in unique_sets:
        lookup = {name: getattr(row, name) for name in attnames}
        lookup[fk.attname] = survivor_pk
        if manager.filter(**lookup).exclude(pk=row.pk).exists():
            return True
    return False


def _forward_m2m(model) -> list[models.ManyToManyField]:
    return list(model._meta.many_to_many)


@transaction.atomic
def records_merge(*, survivor: models.Model, others: list, field_choices: dict[str, Any] | None = None, actor):
    """Merge ``others`` into ``survivor``. Returns the saved survivor."""
    model = type(survivor)
    field_choices = dict(field_choices or {})
    if not others:
        raise ValidationFailed(_("Choose at least two records to merge."))
    if len(others) + 1 > MERGE_LIMIT:
        raise ValidationFailed(_("At most %(limit)s records can be merged at once.") % {"limit": MERGE_LIMIT})
    for other in others:
        if type(other) is not model:
            raise ValidationFailed(_("Only records of the same type can be merged."))
    other_pks = [o.pk for o in others]
    if survivor.pk in other_pks:
        raise ValidationFailed(_("A record cannot be merged with itself."))
    if len(set(other_pks)) != len(other_pks):
        raise ValidationFailed(_("The same record was given twice."))

    locked = _lock(model, [survivor.pk, *other_pks])
    if len(locked) != len(other_pks) + 1 or any(obj.deleted_at is not None for obj in locked.values()):
        raise ValidationFailed(_("Records in the recycle bin cannot be merged."))
    current = locked[survivor.pk]
    losers = [locked[pk] for pk in other_pks]
    _check_access(actor, model, [current, *losers])

    by_pk = {obj.pk: obj for obj in [current, *losers]}
    fields = {f.name: f for f in mergeable_fields(model)}
    errors: dict[str, list[str]] = {}
    chosen: dict[str, models.Model] = {}
    for name, raw_pk in field_choices.items():
        try:
            source = by_pk.get(int(raw_pk))
        except (TypeError, ValueError):
            source = None
        if name not in fields and not name.startswith("custom_fields."):
            errors[name] = [_("This field cannot be chosen when merging.")]
        elif source is None:
            errors[name] = [_("Choose one of the records being merged.")]
        else:
            chosen[name] = source
    if errors:
        raise ValidationFailed(_("Some choices are not valid."), fields=errors)

    before = snapshot(current)
    tags_before = sorted(current.tags.values_list("name", flat=True)) if hasattr(current, "tags") else None
    for name, source in chosen.items():
        if name in fields:
            setattr(current, fields[name].attname, getattr(source, fields[name].attname))

    if hasattr(current, "custom_fields"):
        merged_custom = dict(current.custom_fields or {})
        for loser in losers:
            for key, value in (loser.custom_fields or {}).items():
                if _is_empty(merged_custom.get(key)) and not _is_empty(value):
                    merged_custom[key] = value
        for name, source in chosen.items():
            if name.startswith("custom_fields."):
                key = name.split(".", 1)[1]
                value = (source.custom_fields or {}).get(key)
                if _is_empty(value):
                    merged_custom.pop(key, None)
                else:
                    merged_custom[key] = value
        current.custom_fields = merged_custom

    for f in fields.values():
        if f.is_relation and f.related_model is model and getattr(current, f.attname) == current.pk:
            raise ValidationFailed(
                _("A record cannot be its own %(field)s.") % {"field": f.verbose_name},
                fields={f.name: [_("Choose another value.")]},
            )
    try:
        current.full_clean(exclude=[f.name for f in _forward_m2m(model)])
    except ValidationError as exc:
        raise _validation_failed(exc) from None

    # Links the losers had that the survivor did not: tags, and any other many-to-many field.
    m2m_added: dict[str, list] = {}
    for m2m in _forward_m2m(model):
        have = set(getattr(current, m2m.name).values_list("pk", flat=True))
        add: list = []
        for loser in losers:
            for pk in getattr(loser, m2m.name).values_list("pk", flat=True):
                if pk not in have:
                    have.add(pk)
                    add.append(pk)
        if add:
            getattr(current, m2m.name).add(*add)
            m2m_added[m2m.name] = add

    moved, removed = _move_relations(model, current, losers)
    _refuse_loops(model, current)

    if hasattr(current, "version"):
        current.version = current.version + 1
    current.save()

    now = timezone.now()
    deleted_by = actor if actor is not None and getattr(actor, "pk", None) else None
    model.all_objects.filter(pk__in=other_pks).update(deleted_at=now, deleted_by=deleted_by)
    _run_hooks(model, [current])

    changes = diff(before, snapshot(current))
    if tags_before is not None:
        tags_after = sorted(current.tags.values_list("name", flat=True))
        if tags_after != tags_before:
            changes.append({"field": "tags", "old": tags_before, "new": tags_after})
    survivor_before = {f.attname: before[f.name] for f in mergeable_fields(model)}
    if "custom_fields" in before:
        survivor_before["custom_fields"] = before["custom_fields"]
    entry = audit_record(
        action=Action.MERGE,
        actor=actor,
        instance=current,
        changes=changes,
        extra={
            "merged": other_pks,
            "losers": [{"id": loser.pk, "name": str(loser)[:200], "version": loser.version} for loser in losers],
            "survivor_before": survivor_before,
            "survivor_version": current.version,
            "m2m_added": m2m_added,
            "moved": moved,
            "removed": removed,
        },
    )
    for loser in losers:
        audit_record(
            action=Action.MERGE,
            actor=actor,
            instance=loser,
            extra={"merged_into": current.pk, "merged_into_name": str(current)[:200], "merge_entry": entry.pk},
        )
    current.merge_entry = entry
    return current


# Undo ---------------------------------------------------------------------------------


def may_undo_merge(user, entry: AuditEntry) -> bool:
    """Administrators, and the person who merged, may undo a merge."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_crm_admin or (entry.actor_id is not None and entry.actor_id == user.pk))


def is_merge_entry(entry: AuditEntry) -> bool:
    """The survivor's row of a merge (the one an undo starts from)."""
    return entry.action == Action.MERGE and isinstance(entry.extra, dict) and "losers" in entry.extra


def merge_undone(entry: AuditEntry) -> bool:
    return AuditEntry.objects.filter(
        action=Action.RESTORE,
        content_type_id=entry.content_type_id,
        object_id=entry.object_id,
        extra__undo_of=entry.pk,
    ).exists()


def merge_undo_blocker(entry: AuditEntry) -> str | None:
    """Why this merge can no longer be undone, or None when it can."""
    if not is_merge_entry(entry):
        return _("This audit entry is not a merge.")
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is None or not hasattr(model, "all_objects"):
        return _("This record type no longer exists.")
    if merge_undone(entry):
        return _("This merge was already undone.")
    extra = entry.extra
    loser_ids = [loser["id"] for loser in extra["losers"]]
    records = {obj.pk: obj for obj in model.all_objects.filter(pk__in=[int(entry.object_id), *loser_ids])}
    return _blocker_for(entry, records)


def _blocker_for(entry: AuditEntry, records: dict) -> str | None:
    extra = entry.extra
    survivor = records.get(int(entry.object_id))
    if survivor is None or survivor.deleted_at is not None:
        return _("The merged record was deleted; restore it first.")
    if getattr(survivor, "version", None) != extra["survivor_version"]:
        return _("%(name)s was changed after the merge, so the merge cannot be undone.") % {"name": survivor}
    for loser in extra["losers"]:
        obj = records.get(loser["id"])
        if obj is None:
            return _("%(name)s was deleted for good, so the merge cannot be undone.") % {"name": loser["name"]}
        if obj.deleted_at is None or getattr(obj, "version", None) != loser["version"]:
            return _("%(name)s was changed after the merge, so the merge cannot be undone.") % {"name": obj}
    return None


def _field_value(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    target = field.target_field if field.is_relation else field
    return target.to_python(value)


@transaction.atomic
def records_merge_undo(*, entry: AuditEntry, actor):
    """Put back what the merge recorded in ``entry`` changed. Returns the survivor."""
    entry = AuditEntry.objects.select_related("content_type").get(pk=entry.pk)
    if not is_merge_entry(entry):
        raise ValidationFailed(_("This audit entry is not a merge."))
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is None or not hasattr(model, "all_objects"):
        raise ValidationFailed(_("This record type no longer exists."))
    extra = entry.extra
    survivor_pk = int(entry.object_id)
    loser_ids = [loser["id"] for loser in extra["losers"]]
    records = _lock(model, [survivor_pk, *loser_ids])
    if not may_undo_merge(actor, entry):
        raise PermissionDeniedError()
    _check_access(actor, model, list(records.values()))
    if merge_undone(entry):
        raise ValidationFailed(_("This merge was already undone."))
    blocker = _blocker_for(entry, records)
    if blocker:
        raise ValidationFailed(blocker)
    survivor = records[survivor_pk]
    losers = [records[pk] for pk in loser_ids]

    before = snapshot(survivor)
    tags_before = sorted(survivor.tags.values_list("name", flat=True)) if hasattr(survivor, "tags") else None
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    for attname, value in extra["survivor_before"].items():
        if attname == "custom_fields":
            survivor.custom_fields = value or {}
        elif attname in by_attname:
            field = by_attname[attname]
            value = _field_value(field, value)
            if field.is_relation and value is not None and not _exists(field.related_model, value):
                raise ValidationFailed(
                    _("%(field)s: the value before the merge was deleted for good, so the merge cannot be undone.")
                    % {"field": capfirst(field.verbose_name)}
                )
            setattr(survivor, attname, value)
    for name, pks in (extra.get("m2m_added") or {}).items():
        getattr(survivor, name).remove(*pks)

    now = timezone.now()
    for label, row_pk, field_name, loser_pk in extra.get("moved") or []:
        related_model = apps.get_model(label)
        fk = related_model._meta.get_field(field_name)
        updates: dict[str, Any] = {fk.attname: loser_pk}
        updates.update(_bump(related_model, now))
        # Only rows still pointing at the survivor: one moved elsewhere since stays there.
        related_model._base_manager.filter(pk=row_pk, **{fk.attname: survivor_pk}).update(**updates)
    for row in extra.get("removed") or []:
        related_model = apps.get_model(row["model"])
        values = {
            attname: _field_value(related_model._meta.get_field(_name_for(related_model, attname)), value)
            for attname, value in row["values"].items()
        }
        fields = {f.attname: f for f in related_model._meta.concrete_fields}
        if any(
            fields[attname].is_relation and value is not None and not _exists(fields[attname].related_model, value)
            for attname, value in values.items()
            if attname in fields
        ):
            continue  # the other side of the link is gone for good: nothing to link back
        related_model._base_manager.get_or_create(**values)

    if hasattr(survivor, "version"):
        survivor.version = survivor.version + 1
    survivor.save()
    model.all_objects.filter(pk__in=loser_ids).update(deleted_at=None, deleted_by=None)
    _run_hooks(model, [survivor])

    changes = diff(before, snapshot(survivor))
    if tags_before is not None:
        tags_after = sorted(survivor.tags.values_list("name", flat=True))
        if tags_after != tags_before:
            changes.append({"field": "tags", "old": tags_before, "new": tags_after})
    audit_record(
        action=Action.RESTORE,
        actor=actor,
        instance=survivor,
        changes=changes,
        extra={"undo_of": entry.pk, "restored": loser_ids},
    )
    for loser in losers:
        audit_record(action=Action.RESTORE, actor=actor, instance=loser, extra={"undo_of": entry.pk})
    return survivor


def _exists(model, pk) -> bool:
    return model._base_manager.filter(pk=pk).exists()


def _name_for(model, attname: str) -> str:
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f.name
    return attname


def merge_entry_for(model: type[models.Model], pk: Any) -> AuditEntry | None:
    """The latest merge into the record, if any."""
    ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
    return (
        AuditEntry.objects.filter(action=Action.MERGE, content_type=ct, object_id=str(pk), extra__has_key="losers")
        .order_by("-created_at", "-id")
        .first()
    )
