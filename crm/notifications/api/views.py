"""Your notifications through the API. Only the recipient reads or marks theirs; an
id that is not yours is 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.middleware import activate_user_preferences

from .. import services
from ..models import Notification
from ..selectors import notifications_for, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at", "unread")
        read_only_fields = fields


UNREAD = OpenApiParameter(
    "unread", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="`1` (or `true`): only unread ones."
)
COUNT = inline_serializer("NotificationCount", {"unread": serializers.IntegerField()})
MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your notifications (reminders, approvals, …), newest first. Reading one through
    `read/` or all through `read-all/` clears them from the bell."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; get_queryset() is what runs
    filter_backends: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = str(self.request.query_params.get("unread", "")).lower() in {"1", "true", "yes"}
        return notifications_for(user=self.request.user, unread=unread)

    def get_object(self):
        return get_object_or_404(Notification.objects.filter(user=self.request.user), pk=self.kwargs["pk"])

    @extend_schema(parameters=[UNREAD])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark this notification read."""
        notification = self.get_object()
        services.notifications_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MARKED)
    @action(detail=False, methods=["post"], url_path="read-all", pagination_class=None)
    def read_all(self, request):
        """Mark every one of your notifications read; says how many were unread."""
        return Response({"marked": services.notifications_mark_read(user=request.user)})

    @extend_schema(responses=COUNT)
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request):
        """How many of your notifications are unread (what the bell shows)."""
        return Response({"unread": unread_count(user=request.user)})
