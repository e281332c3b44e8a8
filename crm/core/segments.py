"""Segments: saved filters that are dynamic until frozen into a static list.

Reads always start from visible_to(): a segment shared with a team shows each
member only the records that member may see, and a frozen list never reveals a
record its viewer could not open.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record

from .errors import NotFoundError, PermissionDeniedError, ValidationFailed
from .models import SavedFilter, SegmentMember
from .registry import filterset_for, record_type_for
from .visibility import visible_to

FREEZE_BATCH = 5_000


def segments_visible_to(user, *, list_name: str | None = None) -> QuerySet[SavedFilter]:
    """The user's own segments and those shared with the user's team."""
    condition = Q(user=user)
    if user.team_id:
        condition |= Q(shared_with_team=True, user__team_id=user.team_id)
    qs = SavedFilter.objects.filter(condition).select_related("user")
    return qs.filter(list_name=list_name) if list_name else qs


def _model(segment: SavedFilter):
    record_type = record_type_for(segment.list_name)
    if record_type is None:
        raise NotFoundError()
    return record_type.model


def segment_records(*, segment: SavedFilter, user) -> QuerySet:
    """The records of the segment that ``user`` may see, recomputed unless frozen."""
    model = _model(segment)
    base = visible_to(user, model)
    if segment.is_frozen:
        return base.filter(pk__in=segment.members.values("object_id"))
    filterset_class = filterset_for(model)
    data = QueryDict(segment.query or "", mutable=True)
    data.pop("segment", None)  # a segment's filter never refers to another segment
    filterset = filterset_class(data, queryset=base)
    if not filterset.is_valid():
        return base.none()
    return filterset.qs


def segment_create(*, actor, list_name: str, name: str, query: str = "", shared: bool = False) -> SavedFilter:
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the segment a name.")]})
    if record_type_for(list_name) is None:
        raise ValidationFailed(fields={"list_name": [_("Unknown record type.")]})
    segment, _created = SavedFilter.objects.update_or_create(
        user=actor,
        list_name=list_name,
        name=name,
        defaults={"query": (query or "")[:2000], "shared_with_team": bool(shared)},
    )
    return segment


def _require_owner(segment: SavedFilter, actor) -> None:
    if actor is not None and segment.user_id != actor.pk and not actor.is_crm_admin:
        raise PermissionDeniedError()


@transaction.atomic
def segment_freeze(*, segment: SavedFilter, actor) -> int:
    """Keep the records the segment matches now, for its owner, as a static list."""
    _require_owner(segment, actor)
    SavedFilter.objects.select_for_update().filter(pk=segment.pk).first()  # one freeze at a time
    segment.members.all().delete()
    segment.frozen_at = None
    ids = segment_records(segment=segment, user=segment.user).order_by().values_list("pk", flat=True)
    batch, count = [], 0
    for pk in ids.iterator(chunk_size=FREEZE_BATCH):
        batch.append(SegmentMember(segment=segment, object_id=pk))
        if len(batch) >= FREEZE_BATCH:
            SegmentMember.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    SegmentMember.objects.bulk_create(batch)
    count += len(batch)
    segment.frozen_at = timezone.now()
    segment.save(update_fields=["frozen_at"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        instance=segment,
        changes=[{"field": "frozen_at", "old": None, "new": segment.frozen_at}],
        extra={"members": count},
    )
    return count


@transaction.atomic
def segment_unfreeze(*, segment: SavedFilter, actor) -> None:
    _require_owner(segment, actor)
    segment.members.all().delete()
    old = segment.frozen_at
    segment.frozen_at = None
    segment.save(update_fields=["frozen_at"])
    audit_record(
        action=Action.UPDATE, actor=actor, instance=segment, changes=[{"field": "frozen_at", "old": old, "new": None}]
    )


def segment_delete(*, segment: SavedFilter, actor) -> None:
    _require_owner(segment, actor)
    segment.delete()
