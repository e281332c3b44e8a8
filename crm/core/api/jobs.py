"""Background jobs through the API: your jobs' status and progress, and the file a job wrote."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from crm.core.exports import XLSX_CONTENT_TYPE
from crm.core.models import Job


class JobSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = (
            "id",
            "kind",
            "label",
            "status",
            "done",
            "total",
            "percent",
            "message",
            "result",
            "download_url",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    def get_download_url(self, job: Job) -> str | None:
        if not job.has_file:
            return None
        return self.context["request"].build_absolute_uri(reverse("job-download", args=[job.pk]))


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background jobs you started (imports, exports, recomputations): status, progress
    and result. A job that wrote a file (a large export) offers it at `download_url`."""

    serializer_class = JobSerializer
    queryset = Job.objects.none()  # for the schema; get_queryset() is what runs
    filterset_fields = ("kind", "status")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return Job.objects.filter(created_by=self.request.user).order_by("-created_at")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @extend_schema(
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        """The file the job wrote, once it has succeeded (kept for EXPORT_KEEP_HOURS)."""
        from crm.core.views.shell import job_file_response

        return job_file_response(self.get_object())
