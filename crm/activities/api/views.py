from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.services import require_write
from crm.core.visibility import get_visible_or_404

from .. import services
from ..filtersets import ActivityFilterSet
from ..models import Activity, ActivityKind, CallDirection, Priority


def described_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values the API schema lists in its description instead of a
    shared enum component: "kind" and "priority" name other sets of values elsewhere."""
    values = ", ".join(f"`{value}`" for value, _label in choices if value)

    @extend_schema_field({"type": "string", "description": f"One of {values}."})
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, **kwargs)


class ActivitySerializer(RecordSerializer):
    kind = described_choice(ActivityKind.choices, required=False)
    priority = described_choice(Priority.choices, required=False)
    direction = described_choice([("", "—"), *CallDirection.choices], required=False, allow_blank=True)

    class Meta:
        model = Activity
        fields = (
            "id",
            "url",
            *Activity.EDITABLE_FIELDS,
            "done",
            "done_at",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RecordSerializer.read_only_base, "done", "done_at")


class FollowUpSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    priority = described_choice(Priority.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )


class CompleteSerializer(serializers.Serializer):
    follow_up = FollowUpSerializer(required=False, allow_null=True, help_text="The next task, on the same records.")
    version = serializers.IntegerField(required=False)


class CompleteResultSerializer(serializers.Serializer):
    activity = ActivitySerializer()
    follow_up = ActivitySerializer(allow_null=True)


class ActivityViewSet(RecordViewSet):
    """Activities: calls, meetings, notes, e-mails and tasks on companies, contacts,
    deals and leads (at least one). A task is marked done through `complete/`."""

    model = Activity
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    select_related = ("owner",)
    ordering_fields = ("occurred_at", "due_at", "created_at", "updated_at")
    create_service = staticmethod(services.activity_create)
    update_service = staticmethod(services.activity_update)
    delete_service = staticmethod(services.activity_delete)

    @extend_schema(request=CompleteSerializer, responses=CompleteResultSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """Mark a task done, optionally creating a follow-up task on the same records in
        the same step. A task already done, or an activity that is not a task, gets 400."""
        self._perm("change")
        activity = get_visible_or_404(request.user, self.get_queryset(), pk=pk)
        require_write(request.user, activity)
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = body.validated_data.get("follow_up")
        if follow_up is not None and follow_up.get("owner") is None:
            follow_up.pop("owner", None)
        task, created = services.activity_complete(
            activity=activity,
            actor=request.user,
            follow_up=dict(follow_up) if follow_up is not None else None,
            expected_version=self._expected_version(request),
        )
        task = self._reload(task)
        data = {
            "activity": self.get_serializer(task).data,
            "follow_up": self.get_serializer(self._reload(created)).data if created else None,
        }
        return self._etag(Response(data), task)
