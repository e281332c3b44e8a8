from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.errors import ValidationFailed
from crm.core.services import require_write
from crm.core.visibility import get_visible_or_404

from .. import services
from ..filtersets import ActivityFilterSet
from ..models import MAX_REMIND_MINUTES, Activity, ActivityKind, CallDirection, Priority
from ..quicklog import activity_log


def described_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values the API schema lists in its description instead of a
    shared enum component: "kind" and "priority" name other sets of values elsewhere."""
    values = ", ".join(f"`{value}`" for value, _label in choices if value)

    @extend_schema_field({"type": "string", "description": f"One of {values}."})
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, **kwargs)


class IdListField(serializers.ListField):
    """Ids of related records, read from a (prefetched) many-to-many relation. Written as
    a list of ids that the services check (a forged or hidden id is a 400 on the field)."""

    child = serializers.IntegerField(min_value=1)

    def to_representation(self, data):
        items = data.all() if hasattr(data, "all") else data
        return sorted(item.pk if hasattr(item, "pk") else int(item) for item in items)


class NextStepSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, help_text="What comes next: becomes an open task.")
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class ActivitySerializer(RecordSerializer):
    next_step = NextStepSerializer(
        write_only=True,
        required=False,
        allow_null=True,
        help_text="Only when logging (create): the next step, created as a task on the same records; on a deal "
        "the actor may change, it also becomes the deal's next step and date.",
    )
    kind = described_choice(ActivityKind.choices, required=False)
    priority = described_choice(Priority.choices, required=False)
    direction = described_choice([("", "—"), *CallDirection.choices], required=False, allow_blank=True)
    remind_minutes_before = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_REMIND_MINUTES,
        help_text="Tasks and meetings: remind the owner this many minutes before the task is due or the meeting "
        "starts (0 to 40320; null for no reminder). Cleared for other kinds.",
    )
    attendee_users = IdListField(
        required=False, help_text="Meetings: the ids of the users taking part (they see it in their calendar)."
    )
    attendee_contacts = IdListField(
        required=False, help_text="Meetings: the ids of the contacts taking part (contacts you can see)."
    )

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        next_step = kwargs["data"].pop("next_step", None)
        if next_step is not None:
            if self.instance is not None:
                raise ValidationFailed(
                    fields={"next_step": [_("The next step is set when logging; add a task instead.")]}
                )
            kwargs["next_step"] = dict(next_step)
        return kwargs

    class Meta:
        model = Activity
        fields = (
            "id",
            "url",
            *Activity.EDITABLE_FIELDS,
            "next_step",
            "done",
            "done_at",
            "remind_at",
            "reminded_at",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RecordSerializer.read_only_base, "done", "done_at", "remind_at", "reminded_at")
        extra_kwargs = {
            "body": {
                "help_text": "Notes: basic HTML (p, br, b, strong, i, em, u, ul, ol, li, a, blockquote, h3, h4), "
                "sanitised when saved. Other kinds: plain text."
            },
            "remind_at": {"help_text": "When the reminder is due (computed from the time and the minutes)."},
            "reminded_at": {"help_text": "When the reminder was sent; null until then."},
        }


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
    create_service = staticmethod(activity_log)
    prefetch = ("attendee_users", "attendee_contacts")
    update_service = staticmethod(services.activity_update)
    delete_service = staticmethod(services.activity_delete)

    def get_queryset(self):
        return super().get_queryset().prefetch_related(*self.prefetch)

    def create(self, request, *args, **kwargs):
        """Log an activity; with ``next_step`` the follow-up task is created in the same
        step and its id returned as ``next_task``."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = activity_log(actor=request.user, **serializer.service_kwargs())
        next_task = getattr(obj, "next_task", None)
        obj = self._reload(obj)
        data = dict(self.get_serializer(obj).data)
        data["next_task"] = next_task.pk if next_task is not None else None
        return self._etag(Response(data, status=status.HTTP_201_CREATED), obj)

    def _reload(self, obj):
        return (
            self.model._default_manager.select_related(*self.select_related)
            .prefetch_related("tags", *self.prefetch)
            .get(pk=obj.pk)
        )

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
