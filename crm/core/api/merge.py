"""The API side of merging records: ``POST /api/v1/<records>/merge/`` and ``merge/undo/``."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.response import Response

from crm.audit.models import AuditEntry
from crm.core.errors import NotFoundError
from crm.core.merge import MERGE_LIMIT, is_merge_entry, records_merge, records_merge_undo
from crm.core.visibility import visible_to


class MergeRequestSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(help_text=_("The id of the record to keep."))
    others = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=MERGE_LIMIT - 1,
        help_text=_("The ids of the records merged into it; they go to the recycle bin."),
    )
    fields = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        default=dict,
        help_text=_(
            "Field name (or custom_fields.<key>) -> the id of the record whose value is kept. "
            "Fields not named keep the survivor's value."
        ),
    )


class MergeUndoRequestSerializer(serializers.Serializer):
    audit_entry = serializers.IntegerField(help_text=_("The id of the merge's audit entry (on the survivor)."))


def api_merge(viewset, request) -> Response:
    data = MergeRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ids = [data.validated_data["survivor"], *data.validated_data["others"]]
    found = {obj.pk: obj for obj in visible_to(request.user, viewset.model).filter(pk__in=ids)}
    if any(pk not in found for pk in ids):
        raise NotFoundError()
    survivor = records_merge(
        survivor=found[ids[0]],
        others=[found[pk] for pk in ids[1:]],
        field_choices=data.validated_data["fields"],
        actor=request.user,
    )
    obj = viewset._reload(survivor)
    response = Response(viewset.get_serializer(obj).data)
    response["X-Audit-Entry"] = str(survivor.merge_entry.pk)
    return viewset._etag(response, obj)


def api_merge_undo(viewset, request) -> Response:
    data = MergeUndoRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    ct = ContentType.objects.get_for_model(viewset.model, for_concrete_model=True)
    entry = AuditEntry.objects.filter(
        pk=data.validated_data["audit_entry"], content_type=ct, action=AuditEntry.Action.MERGE
    ).first()
    if entry is None or not is_merge_entry(entry):
        raise NotFoundError()
    if not visible_to(request.user, viewset.model).filter(pk=entry.object_id).exists():
        raise NotFoundError()
    survivor = records_merge_undo(entry=entry, actor=request.user)
    obj = viewset._reload(survivor)
    return viewset._etag(Response(viewset.get_serializer(obj).data), obj)
