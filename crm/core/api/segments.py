"""Segments through the API: list, create, count, members, freeze and unfreeze."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.models import SavedFilter
from crm.core.registry import record_type_for
from crm.core.segments import (
    segment_create,
    segment_delete,
    segment_freeze,
    segment_records,
    segment_unfreeze,
    segments_visible_to,
)


class SegmentSerializer(serializers.ModelSerializer):
    record_type = serializers.CharField(source="list_name")
    owner = serializers.PrimaryKeyRelatedField(source="user", read_only=True)
    shared = serializers.BooleanField(source="shared_with_team", required=False)
    frozen = serializers.BooleanField(source="is_frozen", read_only=True)

    class Meta:
        model = SavedFilter
        fields = ("id", "name", "record_type", "query", "shared", "owner", "frozen", "frozen_at", "created_at")
        read_only_fields = ("id", "owner", "frozen", "frozen_at", "created_at")

    def validate_record_type(self, value):
        if record_type_for(value) is None:
            raise serializers.ValidationError("Unknown record type.")
        return value


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    url = serializers.CharField(source="get_absolute_url")


class SegmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Segments: saved filters over a record type, private or shared with your team.

    A segment is dynamic (its filter runs again each time) until it is frozen into a
    static list. Members and counts only ever include records you may see."""

    serializer_class = SegmentSerializer
    queryset = SavedFilter.objects.none()  # for the schema; get_queryset() is what runs
    filterset_fields = ("list_name",)
    ordering_fields = ("name", "created_at")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedFilter.objects.none()
        return segments_visible_to(self.request.user).order_by("name", "pk")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        segment = segment_create(
            actor=request.user,
            list_name=data["list_name"],
            name=data["name"],
            query=data.get("query", ""),
            shared=data.get("shared_with_team", False),
        )
        return Response(self.get_serializer(segment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        segment_delete(segment=instance, actor=self.request.user)

    @extend_schema(responses=inline_serializer("SegmentCount", {"count": serializers.IntegerField()}), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def count(self, request, pk=None):
        """How many records of the segment you can see."""
        return Response({"count": segment_records(segment=self.get_object(), user=request.user).count()})

    @extend_schema(responses=MemberSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def members(self, request, pk=None):
        """The segment's records you can see, a page at a time."""
        records = segment_records(segment=self.get_object(), user=request.user).order_by("pk")
        page = self.paginate_queryset(records)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(request=None, responses=SegmentSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def freeze(self, request, pk=None):
        """Keep the records the segment matches now as a static list."""
        segment = self.get_object()
        segment_freeze(segment=segment, actor=request.user)
        segment.refresh_from_db()
        return Response(self.get_serializer(segment).data)

    @extend_schema(request=None, responses=SegmentSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def unfreeze(self, request, pk=None):
        """Make the segment dynamic again."""
        segment = self.get_object()
        segment_unfreeze(segment=segment, actor=request.user)
        segment.refresh_from_db()
        return Response(self.get_serializer(segment).data)
