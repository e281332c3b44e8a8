"""The import API: upload, mapping, preview, start, status, errors file, undo."""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from crm.core.errors import ValidationFailed
from crm.core.exports import stream_csv

from .. import services
from ..models import ImportRun, MatchOn, MatchRule
from ..uploads import declared_too_large, use_limited_handlers


class ImportRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    job = serializers.UUIDField(source="job_id", read_only=True, allow_null=True)

    class Meta:
        model = ImportRun
        fields = (
            "id",
            "record_type",
            "status",
            "original_name",
            "file_format",
            "file_size",
            "encoding",
            "delimiter",
            "headers",
            "mapping",
            "match_rule",
            "match_on",
            "phone_region",
            "dry_run",
            "total_rows",
            "checkpoint",
            "percent",
            "created_count",
            "updated_count",
            "skipped_count",
            "failed_count",
            "message",
            "job",
            "created_at",
            "started_at",
            "finished_at",
            "undone_at",
        )
        read_only_fields = fields


class ImportCreateSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=["contacts", "companies", "leads", "deals", "products"])
    file = serializers.FileField()
    mapping = serializers.CharField(
        required=False, help_text='JSON object: column number → field key, e.g. {"0": "name", "1": "email"}.'
    )
    match_rule = serializers.ChoiceField(choices=MatchRule.choices, required=False)
    match_on = serializers.ChoiceField(choices=[c for c in MatchOn.choices if c[0]], required=False)
    phone_region = serializers.CharField(required=False, max_length=2)


class ImportConfigureSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True))
    match_rule = serializers.ChoiceField(choices=MatchRule.choices)
    match_on = serializers.ChoiceField(choices=MatchOn.choices, required=False, allow_blank=True)
    phone_region = serializers.CharField(required=False, max_length=2, default="CN")


PreviewSerializer = inline_serializer(
    "ImportPreviewRow",
    many=True,
    fields={
        "row": serializers.IntegerField(),
        "action": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "cells": serializers.ListField(
            child=inline_serializer(
                "ImportPreviewCell",
                {
                    "column": serializers.CharField(),
                    "field": serializers.CharField(),
                    "raw": serializers.CharField(),
                    "value": serializers.CharField(),
                    "errors": serializers.ListField(child=serializers.CharField()),
                },
            )
        ),
    },
)


def _too_large_error():
    from django.conf import settings
    from django.utils.translation import gettext as _

    message = _("The file is larger than the %(limit)s MB an import accepts. Split it into smaller files.") % {
        "limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)
    }
    return ValidationFailed(message, fields={"file": [message]}, code="too_large")


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of CSV or Excel files: upload a file with `POST /imports/` (multipart),
    check or change the suggested `mapping`, look at the `preview`, `start` it, follow its
    `status`, download the refused rows from `errors` and `undo` it."""

    serializer_class = ImportRunSerializer
    queryset = ImportRun.objects.none()
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ("record_type", "status")

    def initial(self, request, *args, **kwargs):
        if self.action == "create":
            # Before authentication reads the body (session CSRF) or DRF parses it.
            if declared_too_large(request._request):
                self._refused = True
            else:
                self._limiter = use_limited_handlers(request._request)
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportRun.objects.none()
        return services.imports_visible_to(self.request.user)

    def get_object(self):
        return services.import_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportRunSerializer},
        description="Upload a file (CSV in UTF-8 or GBK, or XLSX). The answer holds the column names, "
        "the number of rows and a suggested mapping.",
    )
    def create(self, request):
        if getattr(self, "_refused", False):
            raise _too_large_error()
        limiter = getattr(self, "_limiter", None)
        try:
            data = request.data
        except Exception:
            if limiter is not None and limiter.too_large:
                raise _too_large_error() from None
            raise
        if limiter is not None and limiter.too_large:
            raise _too_large_error()
        serializer = ImportCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        upload = values["file"]
        run = services.import_create(
            actor=request.user,
            record_type=values["record_type"],
            name=upload.name,
            chunks=upload.chunks(),
            size=upload.size,
        )
        if "mapping" in values or "match_rule" in values:
            try:
                mapping = json.loads(values["mapping"]) if "mapping" in values else run.mapping
            except ValueError:
                raise ValidationFailed(fields={"mapping": ["Give the mapping as a JSON object."]}) from None
            services.import_configure(
                run=run,
                actor=request.user,
                mapping=mapping,
                match_rule=values.get("match_rule", run.match_rule),
                match_on=values.get("match_on", run.match_on),
                phone_region=values.get("phone_region", "CN"),
            )
            run.refresh_from_db()
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportConfigureSerializer, responses={200: ImportRunSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def mapping(self, request, pk=None):
        """Set the column mapping and the matching rule (before the import starts)."""
        run = self.get_object()
        serializer = ImportConfigureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.import_configure(run=run, actor=request.user, **serializer.validated_data)
        run.refresh_from_db()
        return Response(ImportRunSerializer(run).data)

    @extend_schema(responses={200: PreviewSerializer}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request, pk=None):
        """The first 20 rows as they would be stored, with the error of each cell."""
        run = self.get_object()
        return Response(services.import_preview(run=run, actor=request.user))

    @extend_schema(
        request=inline_serializer("ImportStart", {"dry_run": serializers.BooleanField(default=False)}),
        responses={202: ImportRunSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def start(self, request, pk=None):
        """Run the import in the background; follow it at `status` (or its job)."""
        run = self.get_object()
        dry_run = str(request.data.get("dry_run", "")).lower() in {"1", "true", "yes", "on"}
        run = services.import_start(run=run, actor=request.user, dry_run=dry_run)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            200: inline_serializer(
                "ImportStatus",
                {
                    "status": serializers.CharField(),
                    "done": serializers.IntegerField(),
                    "total": serializers.IntegerField(),
                    "percent": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "skipped": serializers.IntegerField(),
                    "failed": serializers.IntegerField(),
                    "message": serializers.CharField(),
                },
            )
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def status(self, request, pk=None):
        """Progress: rows done, counts, and the job's message (speed and time left)."""
        run = self.get_object()
        message = run.message or (run.job.message if run.job_id and run.job else "")
        return Response(
            {
                "status": run.status,
                "done": run.checkpoint,
                "total": run.total_rows,
                "percent": run.percent,
                "created": run.created_count,
                "updated": run.updated_count,
                "skipped": run.skipped_count,
                "failed": run.failed_count,
                "message": message,
            }
        )

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The refused rows.")},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def errors(self, request, pk=None):
        """The refused rows as uploaded, with the reason, as CSV (UTF-8 with BOM)."""
        run = self.get_object()
        header, rows = services.import_error_rows(run)
        response = StreamingHttpResponse(stream_csv(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
        return response

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "ImportUndo", {"deleted": serializers.IntegerField(), "restored": serializers.IntegerField()}
            )
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def undo(self, request, pk=None):
        """Delete what the import created and restore what it updated; 409 when any of
        those records was changed since."""
        run = self.get_object()
        return Response(services.import_undo(run=run, actor=request.user))
