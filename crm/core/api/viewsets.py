"""The base API viewset: visibility, services, optimistic locking, history."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from crm.audit.selectors import audit_for_record
from crm.core import services as core_services
from crm.core.api.merge import MergeRequestSerializer, MergeUndoRequestSerializer, api_merge, api_merge_undo
from crm.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from crm.core.exports import FORMATS as EXPORT_FORMATS
from crm.core.exports import XLSX_CONTENT_TYPE
from crm.core.middleware import activate_user_preferences
from crm.core.visibility import get_visible_or_404, visible_to

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you last read (the ETag, e.g. "3"). A stale version gets 409.',
)


EXPORT_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=list(EXPORT_FORMATS),
    default="csv",
    description="The file type: `csv` (UTF-8 with BOM) or `xlsx` (Excel).",
)
EXPORT_SORT = OpenApiParameter(
    "sort",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="A column to sort by, as on the list page (e.g. `name`, `-created_at`).",
)


class ExportNegotiation(BaseContentNegotiation):
    """For the export: `?format=` names the file type, not a renderer, and any
    error is answered in JSON whatever the client accepts."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditEntrySerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_name")
    action = serializers.CharField()
    changes = serializers.JSONField()
    ip = serializers.CharField(allow_null=True)
    request_id = serializers.CharField()


BULK_API_LIMIT = 1000


class BulkRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=BULK_API_LIMIT,
        help_text="The records to change; each must be one you can see.",
    )
    action = serializers.ChoiceField(
        choices=["update", "add_tags", "delete"],
        help_text="`update`: set the fields in `data` (as a PATCH would); `add_tags`: add `tags` to each; "
        "`delete`: move them to the recycle bin.",
    )
    data = serializers.DictField(required=False, help_text="For `update`: the fields to set, with their new values.")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, help_text="For `add_tags`."
    )


class BulkResultSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="How many records were changed.")
    skipped = serializers.ListField(
        child=serializers.IntegerField(), help_text="Records you may see but not change: left as they were."
    )


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    # Subclasses set model, serializer_class, filterset_class, and optionally the
    # create/update/delete services. Reads start from visible_to(); writes call
    # services. (A comment, not a docstring: the API docs show each subclass's own.)

    model = None
    create_service = None
    update_service = None
    delete_service = None
    ordering_fields = ("created_at", "updated_at")
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        return visible_to(self.request.user, self.model).select_related(*self.select_related).prefetch_related("tags")

    def get_object(self):
        return get_visible_or_404(self.request.user, self.get_queryset(), pk=self.kwargs["pk"])

    def _perm(self, action_name: str) -> None:
        opts = self.model._meta
        if not self.request.user.has_perm(f"{opts.app_label}.{action_name}_{opts.model_name}"):
            raise PermissionDeniedError()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if request.user.is_authenticated and self.model is not None:
            self._perm("view")

    def _reload(self, obj):
        """The saved record for the response. Not through visible_to: a user who just
        handed a record to someone outside their reach still gets the result."""
        return self.model._default_manager.select_related(*self.select_related).prefetch_related("tags").get(pk=obj.pk)

    def _etag(self, response: Response, obj) -> Response:
        response["ETag"] = f'"{obj.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return self._etag(Response(self.get_serializer(obj).data), obj)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kwargs = serializer.service_kwargs()
        if self.create_service:
            obj = type(self).create_service(actor=request.user, **kwargs)
        else:
            obj = core_services.record_create(model=self.model, actor=request.user, **kwargs)
        obj = self._reload(obj)
        return self._etag(Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED), obj)

    def _expected_version(self, request) -> int | None:
        header = request.headers.get("If-Match", "").strip().strip("W/").strip('"')
        raw = header or request.data.get("version") if hasattr(request.data, "get") else header
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(fields={"version": [_("Expected the record's version number.")]}) from None

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        service_kwargs = serializer.service_kwargs()
        expected = self._expected_version(request)
        if self.update_service:
            obj = type(self).update_service(
                instance=obj, actor=request.user, expected_version=expected, **service_kwargs
            )
        else:
            obj = core_services.record_update(
                instance=obj, actor=request.user, expected_version=expected, **service_kwargs
            )
        obj = self._reload(obj)
        return self._etag(Response(self.get_serializer(obj).data), obj)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        if self.delete_service:
            type(self).delete_service(instance=obj, actor=request.user)
        else:
            core_services.record_delete(instance=obj, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=BulkRequestSerializer, responses=BulkResultSerializer, filters=False)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        """Change many records at once: set fields, add tags or delete. All or nothing: if
        one record cannot take the change (a rule of its own), none is changed and the
        answer says which. Records you may see but not change are skipped and listed."""
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        queryset = visible_to(request.user, self.model).filter(pk__in=ids)
        found = set(queryset.values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise NotFoundError(
                fields={
                    "ids": [_("No record you can see has these ids: %(ids)s") % {"ids": ", ".join(map(str, missing))}]
                }
            )
        action_name = body.validated_data["action"]
        actor = request.user
        if action_name == "delete":
            self._perm("delete")

            def apply(obj):
                if self.delete_service:
                    type(self).delete_service(instance=obj, actor=actor)
                else:
                    core_services.record_delete(instance=obj, actor=actor)

        elif action_name == "add_tags":
            self._perm("change")
            new_tags = body.validated_data.get("tags") or []
            if not new_tags:
                raise ValidationFailed(fields={"tags": [_("Give at least one tag.")]})
            queryset = queryset.prefetch_related("tags")

            def apply(obj):
                self._update_one(obj, actor, data={}, tags=[t.name for t in obj.tags.all()] + new_tags)

        else:
            self._perm("change")
            changes = self.get_serializer(data=body.validated_data.get("data") or {}, partial=True)
            changes.is_valid(raise_exception=True)
            kwargs = changes.service_kwargs()
            if not kwargs["data"] and kwargs["custom_fields"] is None and kwargs["tags"] is None:
                raise ValidationFailed(fields={"data": [_("Give at least one field to change.")]})

            def apply(obj):
                self._update_one(obj, actor, **kwargs)

        done, skipped = core_services.records_bulk_apply(queryset=queryset, actor=actor, apply=apply)
        return Response({"done": done, "skipped": skipped})

    def _update_one(self, obj, actor, **kwargs):
        if self.update_service:
            return type(self).update_service(instance=obj, actor=actor, **kwargs)
        return core_services.record_update(instance=obj, actor=actor, **kwargs)

    @extend_schema(responses=AuditEntrySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        """The audit trail of this record, newest first (at most 200 entries)."""
        obj = self.get_object()
        entries = audit_for_record(instance=obj)[:200]
        return Response(AuditEntrySerializer(entries, many=True).data)

    @extend_schema(request=MergeRequestSerializer, filters=False)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def merge(self, request):
        """Merge duplicates into one record (the survivor).

        For each field named in `fields`, the survivor takes the value of the record
        given; tags are combined, empty custom fields are filled from the others, and
        every record linked to the others (recycle bin included) is moved to the
        survivor. The others go to the recycle bin. Needs the change permission and
        write access on every record. The `X-Audit-Entry` response header gives the
        id to pass to `merge/undo/`."""
        self._perm("change")
        return api_merge(self, request)

    @extend_schema(request=MergeUndoRequestSerializer, filters=False)
    @action(detail=False, methods=["post"], url_path="merge/undo", filter_backends=[], pagination_class=None)
    def merge_undo(self, request):
        """Undo a merge: the survivor's values, the moved links and the merged records come back.

        Refused (400) when any of the records changed after the merge, one was deleted
        for good, or the merge was already undone."""
        self._perm("change")
        return api_merge_undo(self, request)

    @extend_schema(request=None, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def restore(self, request, pk=None):
        """Bring a record back from the recycle bin."""
        qs = visible_to(request.user, self.model.all_objects.filter(deleted_at__isnull=False))
        obj = get_visible_or_404(request.user, qs, pk=pk)
        core_services.record_restore(instance=obj, actor=request.user)
        obj = self._reload(obj)
        return self._etag(Response(self.get_serializer(obj).data), obj)

    @extend_schema(
        parameters=[EXPORT_FORMAT, EXPORT_SORT],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, CSV or XLSX as `format` asks."
            ),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, CSV or XLSX as `format` asks."
            ),
            (202, "application/json"): OpenApiResponse(
                inline_serializer(
                    "ExportJob",
                    {
                        "job": serializers.UUIDField(),
                        "status_url": serializers.CharField(),
                        "download_url": serializers.CharField(),
                    },
                ),
                description="A large XLSX is built in the background: poll `status_url`, then get `download_url`.",
            ),
        },
        filters=True,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[DjangoFilterBackend],
        pagination_class=None,
        content_negotiation_class=ExportNegotiation,
    )
    def export(self, request):
        """Every record you may see that matches the filters, with every column (custom
        fields and tags included), as a CSV or Excel download, streamed. Needs the export
        permission; each export is recorded in the audit log. An Excel file of more rows
        than the server's EXPORT_BACKGROUND_ROWS is built in the background: the answer is
        then 202 with the job's `status_url` and the `download_url` to fetch once it is done."""
        from crm.core.views.generic import pages_for

        self._perm("export")
        fmt = (request.query_params.get("format") or "csv").lower()
        if fmt not in EXPORT_FORMATS:
            raise ValidationFailed(fields={"format": [_("Choose csv or xlsx.")]})
        pages = pages_for(self.model)
        if pages is None:
            raise NotFoundError()
        return pages.export(request, fmt, api=True)
