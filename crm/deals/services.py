"""Writes for deals, the people on them and their moves between stages.

Every page, the board, the API, lead conversion and automation call these, so a
deal's status always follows its stage, every move leaves a DealStageChange row
and an audit row, and closing a deal always needs a reason.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.audit.services import Action, audit_record, diff, snapshot
from crm.core import services as core
from crm.core.errors import ConflictError, NotFoundError, PermissionDeniedError, UnprocessableError, ValidationFailed
from crm.core.text import build_search_text, clean_text
from crm.core.visibility import visible_to

from .models import Deal, DealContact, DealContactRole, DealStageChange, DealStatus, Pipeline, Stage, StageKind
from .selectors import pipeline_default, stage_first_open

CURRENCY_RE = re.compile(r"[A-Z]{3}")
TEXT_FIELDS = ("name", "next_step", "currency")
MAX_AMOUNT = decimal.Decimal("9999999999999999.99")


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _resolve(model, value, field: str, errors: dict):
    """An instance from an instance or a primary key; a forged id is a field error."""
    if value is None or value == "" or isinstance(value, model):
        return value or None
    try:
        return model.objects.get(pk=int(value))
    except (model.DoesNotExist, TypeError, ValueError):
        _add(errors, field, _("Select a valid choice. That choice is not one of the available choices."))
        return None


def _amount(value, errors: dict):
    if value is None or value == "":
        return decimal.Decimal("0")
    if isinstance(value, bool):
        _add(errors, "amount", _("Enter a number."))
        return value
    try:
        amount = decimal.Decimal(str(value).replace(",", "").strip())
    except (decimal.InvalidOperation, ValueError):
        _add(errors, "amount", _("Enter a number."))
        return value
    if not amount.is_finite():
        _add(errors, "amount", _("Enter a number."))
        return value
    if amount < 0:
        _add(errors, "amount", _("The amount cannot be negative."))
    elif amount > MAX_AMOUNT:
        _add(errors, "amount", _("The amount is too large."))
    return amount.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP) if amount <= MAX_AMOUNT else amount


def _normalise(data: dict, errors: dict) -> dict:
    cleaned = dict(data)
    for key in TEXT_FIELDS:
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if isinstance(cleaned.get("products_interest"), str):
        cleaned["products_interest"] = cleaned["products_interest"].strip()
    if "currency" in cleaned:
        currency = cleaned["currency"]
        currency = currency.upper() if isinstance(currency, str) else currency
        if not isinstance(currency, str) or not CURRENCY_RE.fullmatch(currency):
            _add(errors, "currency", _("Enter a three-letter ISO currency code such as CNY or USD."))
        cleaned["currency"] = currency
    if "amount" in cleaned:
        cleaned["amount"] = _amount(cleaned["amount"], errors)
    if "pipeline" in cleaned:
        cleaned["pipeline"] = _resolve(Pipeline, cleaned["pipeline"], "pipeline", errors)
    if "stage" in cleaned:
        cleaned["stage"] = _resolve(Stage, cleaned["stage"], "stage", errors)
    if isinstance(cleaned.get("close_reason"), str):
        cleaned["close_reason"] = cleaned["close_reason"].strip()
    return cleaned


def _reason_required(errors: dict) -> None:
    _add(errors, "close_reason", _("Give the reason the deal was won or lost."))


def _stage_of_other_pipeline(errors: dict) -> None:
    _add(errors, "stage", _("This stage belongs to another pipeline."))


def _clean_contacts(actor, contacts, errors: dict) -> list[tuple[Any, str]]:
    """(Contact, role) pairs the actor may see, with known roles, each contact once."""
    from crm.contacts.models import Contact

    pairs: list[tuple[Any, str]] = []
    seen: set[int] = set()
    for item in contacts or []:
        try:
            contact, role = item
        except (TypeError, ValueError):
            _add(errors, "contacts", _("Give each contact with its role."))
            continue
        role = role or ""
        if role and role not in DealContactRole.values:
            _add(errors, "contacts", _("“%(value)s” is not a valid role.") % {"value": role})
            continue
        pk = contact.pk if isinstance(contact, Contact) else contact
        visible = visible_to(actor, Contact) if actor is not None else Contact.objects.all()
        try:
            found = visible.filter(pk=int(pk)).first()
        except (TypeError, ValueError):
            found = None
        if found is None:
            _add(errors, "contacts", _("Select a valid choice. That choice is not one of the available choices."))
            continue
        if found.pk not in seen:
            seen.add(found.pk)
            pairs.append((found, role))
    return pairs


def deal_create(*, actor, data: dict, custom_fields=None, tags=None, contacts=None) -> Deal:
    """A new deal, in the default pipeline's first open stage unless told otherwise.

    ``contacts`` is a list of (Contact, role) pairs. Creating a deal straight into a
    won or lost stage needs ``close_reason`` in ``data``.
    """
    errors: dict[str, list[str]] = {}
    data = _normalise(data, errors)
    unknown = set(data) - set(Deal.EDITABLE_FIELDS) - {"close_reason"}
    for key in sorted(unknown):
        _add(errors, key, _("This field cannot be set."))
    pipeline = data.get("pipeline")
    stage = data.get("stage")
    if pipeline is None and "pipeline" not in errors:
        try:
            pipeline = stage.pipeline if stage is not None else pipeline_default()
        except NotFoundError:
            _add(errors, "pipeline", _("There is no pipeline yet; an administrator sets one up under Pipelines."))
    if stage is None and "stage" not in errors and pipeline is not None:
        stage = stage_first_open(pipeline)
        if stage is None:
            _add(errors, "stage", _("This pipeline has no open stage."))
    if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
        _stage_of_other_pipeline(errors)
    if pipeline is not None and not pipeline.active and "pipeline" not in errors:
        _add(errors, "pipeline", _("This pipeline is no longer in use."))
    if stage is not None and stage.is_closed and not data.get("close_reason"):
        _reason_required(errors)
    pairs = _clean_contacts(actor, contacts, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    now = timezone.now()
    data.update(
        pipeline=pipeline,
        stage=stage,
        status=stage.kind,
        stage_changed_at=now,
        closed_at=now if stage.is_closed else None,
    )
    if not stage.is_closed:
        data.pop("close_reason", None)
    with transaction.atomic():
        deal = core.record_create(model=Deal, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        deal_refresh_search_text(deal)
        DealStageChange.objects.create(
            deal=deal, from_stage=None, to_stage=stage, changed_at=now, changed_by=_user(actor)
        )
        if pairs:
            DealContact.objects.bulk_create([DealContact(deal=deal, contact=c, role=r) for c, r in pairs])
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=deal,
                changes=[{"field": "contacts", "old": None, "new": [_contact_label(c, r) for c, r in pairs]}],
            )
    return deal


def _user(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


def _contact_label(contact, role: str) -> str:
    return f"{contact} ({DealContactRole(role).label})" if role else str(contact)


def _locked(deal: Deal, actor, expected_version) -> Deal:
    core.require_perm(actor, Deal, "change")
    current = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if current is None:
        raise NotFoundError()
    core.require_write(actor, current)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError()
    return current


def _apply_move(current: Deal, stage: Stage, actor, reason: str | None, *, now) -> list[dict]:
    """Put the locked deal into ``stage``; returns the audit changes. Caller saves."""
    before = snapshot(current, ["pipeline", "stage", "status", "close_reason", "closed_at"])
    since = current.stage_changed_at or current.created_at
    seconds = max(0, int((now - since).total_seconds())) if since else None
    from_stage_id = current.stage_id
    current.pipeline_id = stage.pipeline_id
    current.stage = stage
    current.status = stage.kind
    current.stage_changed_at = now
    if stage.is_closed:
        current.close_reason = reason
        if before["status"] == DealStatus.OPEN or current.closed_at is None:
            current.closed_at = now
    else:
        current.close_reason = ""
        current.closed_at = None
    DealStageChange.objects.create(
        deal=current,
        from_stage_id=from_stage_id,
        to_stage=stage,
        changed_at=now,
        changed_by=_user(actor),
        seconds_in_stage=seconds,
    )
    return diff(before, snapshot(current, list(before)))


def _check_move(current: Deal, stage: Stage | None, reason, *, allow_other_pipeline: bool) -> str:
    errors: dict[str, list[str]] = {}
    if stage is None:
        _add(errors, "stage", _("Select a valid choice. That choice is not one of the available choices."))
        raise ValidationFailed(fields=errors)
    if stage.pipeline_id != current.pipeline_id and not allow_other_pipeline:
        _stage_of_other_pipeline(errors)
    reason = reason.strip() if isinstance(reason, str) else ""
    if stage.is_closed and not reason:
        _reason_required(errors)
    if errors:
        raise ValidationFailed(fields=errors)
    return reason


def deal_move_stage(*, deal: Deal, stage, actor, reason: str | None = None, expected_version=None) -> Deal:
    """Move a deal to another stage of its pipeline.

    A won or lost stage needs a reason and closes the deal; an open stage reopens
    it. Moving to the stage the deal is in changes nothing (only the reason of a
    closed deal, if a new one is given). Refuses a stale move with ConflictError.
    """
    errors: dict[str, list[str]] = {}
    stage = _resolve(Stage, stage, "stage", errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        current = _locked(deal, actor, expected_version)
        reason = _check_move(current, stage, reason, allow_other_pipeline=False)
        if stage.pk == current.stage_id:
            if stage.is_closed and reason != current.close_reason:
                before = snapshot(current, ["close_reason"])
                current.close_reason = reason
                current.version += 1
                current.save()
                audit_record(
                    action=Action.UPDATE,
                    actor=actor,
                    instance=current,
                    changes=diff(before, snapshot(current, ["close_reason"])),
                )
            return current
        changes = _apply_move(current, stage, actor, reason, now=timezone.now())
        current.version += 1
        current.save()
        audit_record(action=Action.UPDATE, actor=actor, instance=current, changes=changes, extra={"move": True})
    return current


def deal_update(*, instance: Deal, actor, data: dict, expected_version=None, custom_fields=None, tags=None) -> Deal:
    """Change a deal's fields. A new stage (or pipeline) goes through the same move
    as deal_move_stage, with ``close_reason`` from ``data`` as the reason."""
    errors: dict[str, list[str]] = {}
    data = _normalise(data, errors)
    for key in sorted(set(data) - set(Deal.EDITABLE_FIELDS) - {"close_reason"}):
        _add(errors, key, _("This field cannot be set."))
    if errors:
        raise ValidationFailed(fields=errors)
    stored = Deal.objects.filter(pk=instance.pk).values("stage_id", "pipeline_id", "status").first()
    if stored is None:
        raise NotFoundError()
    pipeline = data.pop("pipeline", None)
    stage = data.pop("stage", None)
    reason = data.pop("close_reason", None)
    if pipeline is not None and pipeline.pk != stored["pipeline_id"]:
        if not pipeline.active:
            raise ValidationFailed(fields={"pipeline": [_("This pipeline is no longer in use.")]})
        # A form sends the stage it showed, of the old pipeline: start the new one.
        if stage is None or stage.pipeline_id != pipeline.pk:
            stage = stage_first_open(pipeline)
            if stage is None:
                raise ValidationFailed(fields={"stage": [_("This pipeline has no open stage.")]})
    elif stage is not None and stage.pipeline_id != stored["pipeline_id"]:
        raise ValidationFailed(fields={"stage": [_("This stage belongs to another pipeline.")]})
    with transaction.atomic():
        version = expected_version
        if stage is not None and stage.pk != stored["stage_id"]:
            current = _locked(instance, actor, expected_version)
            move_reason = _check_move(current, stage, reason, allow_other_pipeline=True)
            changes = _apply_move(current, stage, actor, move_reason, now=timezone.now())
            current.version += 1
            current.save()
            audit_record(action=Action.UPDATE, actor=actor, instance=current, changes=changes, extra={"move": True})
            instance = current
            version = None
        elif reason is not None and stored["status"] != DealStatus.OPEN:
            if not reason:
                raise ValidationFailed(fields={"close_reason": [_("Give the reason the deal was won or lost.")]})
            data["close_reason"] = reason
        deal = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=version,
            custom_fields=custom_fields,
            tags=tags,
        )
        deal_refresh_search_text(deal)
    return deal


def deal_search_text(name: str) -> str:
    return build_search_text(names=[name])


def deal_refresh_search_text(deal: Deal) -> None:
    """Written with its own UPDATE after the generic service, so it stays out of the audit log."""
    text = deal_search_text(deal.name)
    if deal.search_text != text:
        Deal.all_objects.filter(pk=deal.pk).update(search_text=text)
        deal.search_text = text


def deal_sync_after_merge(deal: Deal) -> None:
    """A merge writes the chosen fields directly: bring pipeline, status and closed_at
    back in line with the stage the survivor ended up in."""
    current = Deal.all_objects.select_related("stage").get(pk=deal.pk)
    stage = current.stage
    updates = {}
    if current.pipeline_id != stage.pipeline_id:
        updates["pipeline_id"] = stage.pipeline_id
    if current.status != stage.kind:
        updates["status"] = stage.kind
    if stage.is_closed and current.closed_at is None:
        updates["closed_at"] = timezone.now()
    if not stage.is_closed and current.closed_at is not None:
        updates["closed_at"] = None
    if updates:
        Deal.all_objects.filter(pk=deal.pk).update(**updates)
    deal_refresh_search_text(current)


def deal_delete(*, instance: Deal, actor) -> Deal:
    return core.record_delete(instance=instance, actor=actor)


# The people on a deal -------------------------------------------------------------
def _contact_write(deal: Deal, actor) -> Deal:
    core.require_perm(actor, Deal, "change")
    current = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if current is None:
        raise NotFoundError()
    core.require_write(actor, current)
    return current


def _role(role) -> str:
    role = role or ""
    if role and role not in DealContactRole.values:
        raise ValidationFailed(fields={"role": [_("“%(value)s” is not a valid role.") % {"value": role}]})
    return role


def deal_contact_add(*, deal: Deal, contact, role: str = "", actor) -> DealContact:
    """Put a contact on the deal with a role; a contact already on it gets the new role."""
    role = _role(role)
    errors: dict[str, list[str]] = {}
    pairs = _clean_contacts(actor, [(contact, role)], errors)
    if errors:
        raise ValidationFailed(fields={"contact": errors["contacts"]})
    found = pairs[0][0]
    with transaction.atomic():
        current = _contact_write(deal, actor)
        link = DealContact.objects.filter(deal=current, contact=found).first()
        if link is not None:
            return deal_contact_set_role(link=link, role=role, actor=actor)
        link = DealContact.objects.create(deal=current, contact=found, role=role)
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[{"field": "contacts", "old": None, "new": _contact_label(found, role)}],
        )
    return link


def deal_contact_set_role(*, link: DealContact, role: str, actor) -> DealContact:
    role = _role(role)
    with transaction.atomic():
        current = _contact_write(link.deal, actor)
        link = DealContact.objects.select_related("contact").get(pk=link.pk, deal=current)
        if link.role != role:
            old = _contact_label(link.contact, link.role)
            link.role = role
            link.save(update_fields=["role"])
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=current,
                changes=[{"field": "contacts", "old": old, "new": _contact_label(link.contact, role)}],
            )
    return link


def deal_contact_remove(*, link: DealContact, actor) -> None:
    with transaction.atomic():
        current = _contact_write(link.deal, actor)
        link = DealContact.objects.select_related("contact").filter(pk=link.pk, deal=current).first()
        if link is None:
            raise NotFoundError()
        old = _contact_label(link.contact, link.role)
        link.delete()
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[{"field": "contacts", "old": old, "new": None}],
        )


# Pipelines and stages (administrators) ---------------------------------------------
PIPELINE_FIELDS = ("name_en", "name_zh", "position", "active", "stale_after_days")
STAGE_FIELDS = ("name_en", "name_zh", "position", "probability", "kind")


def _require_admin(actor) -> None:
    if actor is not None and not getattr(actor, "is_crm_admin", False):
        raise PermissionDeniedError()


def _clean_setup(instance, data: dict, allowed: tuple[str, ...]) -> None:
    errors: dict[str, list[str]] = {}
    for key in sorted(set(data) - set(allowed)):
        _add(errors, key, _("This field cannot be set."))
    if errors:
        raise ValidationFailed(fields=errors)
    for key, value in data.items():
        if isinstance(value, str):
            value = clean_text(value)
        setattr(instance, key, value)
    try:
        instance.full_clean()
    except DjangoValidationError as exc:
        raise core._validation_failed(exc) from None


def _setup_audit(action, actor, instance, before: dict | None) -> None:
    after = snapshot(instance)
    if before is None:
        changes = [{"field": k, "old": None, "new": v} for k, v in after.items() if v not in (None, "") and k != "id"]
    else:
        changes = diff(before, after)
    if changes or action != Action.UPDATE:
        audit_record(action=action, actor=actor, instance=instance, changes=changes)


def pipeline_create(*, actor, data: dict, stages: list[dict] | None = None) -> Pipeline:
    """A new pipeline. Without ``stages`` it gets one open stage and a won and a lost one,
    so deals can be put in it and closed at once; administrators rename them later."""
    _require_admin(actor)
    data = dict(data)
    make_default = bool(data.pop("is_default", False))
    pipeline = Pipeline()
    if "position" not in data:
        last = Pipeline.objects.order_by("-position").values_list("position", flat=True).first()
        data["position"] = (last or 0) + 1
    _clean_setup(pipeline, data, PIPELINE_FIELDS)
    if stages is None:
        stages = [
            {"name_en": "Open", "name_zh": "进行中", "probability": 20, "kind": StageKind.OPEN},
            {"name_en": "Won", "name_zh": "赢单", "probability": 100, "kind": StageKind.WON},
            {"name_en": "Lost", "name_zh": "输单", "probability": 0, "kind": StageKind.LOST},
        ]
    with transaction.atomic():
        pipeline.save()
        _setup_audit(Action.CREATE, actor, pipeline, None)
        for position, stage_data in enumerate(stages):
            stage_create(actor=actor, pipeline=pipeline, data={"position": position, **stage_data})
        if make_default:
            pipeline = pipeline_set_default(pipeline=pipeline, actor=actor)
    return pipeline


def pipeline_update(*, pipeline: Pipeline, actor, data: dict) -> Pipeline:
    _require_admin(actor)
    data = dict(data)
    make_default = bool(data.pop("is_default", False))
    with transaction.atomic():
        current = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
        before = snapshot(current)
        _clean_setup(current, data, PIPELINE_FIELDS)
        if current.is_default and not current.active:
            raise ValidationFailed(
                fields={
                    "active": [_("The default pipeline cannot be deactivated; make another one the default first.")]
                }
            )
        current.save()
        _setup_audit(Action.UPDATE, actor, current, before)
        if make_default and not current.is_default:
            current = pipeline_set_default(pipeline=current, actor=actor)
    return current


def pipeline_set_default(*, pipeline: Pipeline, actor) -> Pipeline:
    _require_admin(actor)
    with transaction.atomic():
        current = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
        if not current.active:
            raise ValidationFailed(fields={"is_default": [_("An inactive pipeline cannot be the default.")]})
        if current.is_default:
            return current
        old = Pipeline.objects.filter(is_default=True).first()
        if old is not None:
            old.is_default = False
            old.save(update_fields=["is_default"])
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=old,
                changes=[{"field": "is_default", "old": True, "new": False}],
            )
        current.is_default = True
        current.save(update_fields=["is_default"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[{"field": "is_default", "old": False, "new": True}],
        )
    return current


def _stage_kind_change_allowed(stage: Stage, new_kind: str) -> None:
    if new_kind != stage.kind and Deal.all_objects.filter(stage=stage).exists():
        raise ValidationFailed(
            fields={
                "kind": [_("Deals sit in this stage; move them out before changing whether it is open, won or lost.")]
            }
        )


def stage_create(*, actor, pipeline: Pipeline, data: dict) -> Stage:
    _require_admin(actor)
    data = dict(data)
    if "position" not in data:
        last = Stage.objects.filter(pipeline=pipeline).order_by("-position").values_list("position", flat=True).first()
        data["position"] = 0 if last is None else last + 1
    stage = Stage(pipeline=pipeline)
    _clean_setup(stage, data, STAGE_FIELDS)
    with transaction.atomic():
        stage.save()
        _setup_audit(Action.CREATE, actor, stage, None)
    return stage


def stage_update(*, stage: Stage, actor, data: dict) -> Stage:
    """Rename a stage, change its probability, position or kind. The kind (open, won,
    lost) of a stage that holds deals stays, or their status would no longer match."""
    _require_admin(actor)
    with transaction.atomic():
        current = Stage.objects.select_for_update().get(pk=stage.pk)
        before = snapshot(current)
        if "kind" in data:
            _stage_kind_change_allowed(current, data["kind"])
        _clean_setup(current, dict(data), STAGE_FIELDS)
        current.save()
        _setup_audit(Action.UPDATE, actor, current, before)
    return current


def stage_delete(*, stage: Stage, actor) -> None:
    """Delete an empty stage. Refused while any deal sits in it, the recycle bin included
    (a restored deal must find its stage)."""
    _require_admin(actor)
    with transaction.atomic():
        current = Stage.objects.select_for_update().filter(pk=stage.pk).first()
        if current is None:
            raise NotFoundError()
        count = Deal.all_objects.filter(stage=current).count()
        if count:
            raise UnprocessableError(
                ngettext(
                    "%(count)s deal sits in the stage “%(stage)s” (the recycle bin included); "
                    "move it to another stage before deleting this one.",
                    "%(count)s deals sit in the stage “%(stage)s” (the recycle bin included); "
                    "move them to another stage before deleting this one.",
                    count,
                )
                % {"count": count, "stage": current},
                code="stage_in_use",
            )
        open_left = Stage.objects.filter(pipeline_id=current.pipeline_id, kind=StageKind.OPEN).exclude(pk=current.pk)
        if current.kind == StageKind.OPEN and not open_left.exists():
            raise UnprocessableError(_("A pipeline needs at least one open stage."), code="last_open_stage")
        audit_record(action=Action.DELETE, actor=actor, instance=current, changes=[])
        current.delete()


def stages_reorder(*, pipeline: Pipeline, actor, stage_ids: list) -> list[Stage]:
    """Put the pipeline's stages in the given order (every stage of it, each once)."""
    _require_admin(actor)
    with transaction.atomic():
        stages = {s.pk: s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
        try:
            ids = [int(i) for i in stage_ids]
        except (TypeError, ValueError):
            ids = []
        if sorted(ids) != sorted(stages) or len(set(ids)) != len(ids):
            raise ValidationFailed(fields={"stages": [_("List every stage of the pipeline once.")]})
        old = [s.pk for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
        for position, pk in enumerate(ids):
            if stages[pk].position != position:
                stages[pk].position = position
                stages[pk].save(update_fields=["position"])
        if old != ids:
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=pipeline,
                changes=[
                    {"field": "stages", "old": [str(stages[i]) for i in old], "new": [str(stages[i]) for i in ids]}
                ],
            )
    return [stages[pk] for pk in ids]


__all__ = [
    "StageKind",
    "deal_contact_add",
    "deal_contact_remove",
    "deal_contact_set_role",
    "deal_create",
    "deal_delete",
    "deal_move_stage",
    "deal_update",
    "pipeline_create",
    "pipeline_set_default",
    "pipeline_update",
    "stage_create",
    "stage_delete",
    "stage_update",
    "stages_reorder",
]


def deal_touch(*, deal_id: int, when) -> None:
    """Something was logged on the deal at ``when`` (an activity): its
    ``last_activity_at`` moves forward, never back, with no audit row and no new
    version (the activity is audited itself); the stale-deal rule reads it."""
    from django.db.models import Q

    Deal.all_objects.filter(pk=deal_id).filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)).update(
        last_activity_at=when
    )
