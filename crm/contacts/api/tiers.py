"""Value tiers through the API: the thresholds, a recomputation, each customer's tier history."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.errors import PermissionDeniedError
from crm.core.jobs import job_enqueue

from .. import services
from ..models import TierChange, TierSettings
from ..tasks import tiers_recompute_job
from ..tiers import tier_distribution, tier_settings


class TierSettingsSerializer(serializers.ModelSerializer):
    recency_days = serializers.ListField(child=serializers.IntegerField(min_value=0), min_length=4, max_length=4)
    frequency_counts = serializers.ListField(child=serializers.IntegerField(min_value=0), min_length=4, max_length=4)
    monetary_amounts = serializers.ListField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0), min_length=4, max_length=4
    )

    class Meta:
        model = TierSettings
        fields = (
            "window_days",
            "recency_days",
            "frequency_counts",
            "monetary_amounts",
            "tier_a_min",
            "tier_b_min",
            "tier_c_min",
            "updated_at",
        )
        read_only_fields = ("updated_at",)


class TierChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierChange
        fields = ("changed_at", "old_tier", "new_tier", "rfm")


class TierViewSet(viewsets.ViewSet):
    """Value tiers (administrators): counts per tier, the thresholds, recomputation.

    Each customer's own tier and scores are fields of `/companies/` and `/contacts/`;
    its history is at `/companies/<id>/tier-history/` and `/contacts/<id>/tier-history/`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.is_crm_admin:
            raise PermissionDeniedError()

    @extend_schema(
        responses=inline_serializer(
            "TierCounts", {"company": serializers.DictField(), "contact": serializers.DictField()}
        )
    )
    def list(self, request):
        """How many companies and contacts are in each tier."""
        return Response(tier_distribution())

    @extend_schema(methods=["GET"], responses=TierSettingsSerializer)
    @extend_schema(methods=["PATCH"], request=TierSettingsSerializer, responses=TierSettingsSerializer)
    @action(detail=False, methods=["get", "patch"], url_path="settings")
    def thresholds(self, request):
        """The thresholds; PATCH changes some or all, from the next recomputation on."""
        if request.method == "PATCH":
            serializer = TierSettingsSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            saved = services.tier_settings_update(actor=request.user, data=serializer.validated_data)
            return Response(TierSettingsSerializer(saved).data)
        return Response(TierSettingsSerializer(tier_settings()).data)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "TierRecomputeJob", {"job": serializers.UUIDField(), "status_url": serializers.CharField()}
            )
        },
    )
    @action(detail=False, methods=["post"])
    def recompute(self, request):
        """Score every customer again in the background; follow the job at `status_url`."""
        job = job_enqueue(kind="tiers_recompute", task=tiers_recompute_job, user=request.user)
        return Response(
            {"job": job.pk, "status_url": reverse("core:job_detail", args=[job.pk])}, status=status.HTTP_202_ACCEPTED
        )
