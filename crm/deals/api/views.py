import decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from crm.core.visibility import get_visible_or_404

from .. import services
from ..filtersets import DealFilterSet
from ..models import Deal, DealContact, DealContactRole, DealSource, DealStatus, Pipeline, Stage, StageKind


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field described in words rather than as a shared enum: "source",
    "status" and "role" are different sets in different apps (and a deal's status is
    the same set as a stage's kind), so one enum component per field name would
    collide. The values are listed in the field's description."""
    values = ", ".join(f"`{value}`" for value, _label in choices if value)

    @extend_schema_field({"type": "string", "description": f"One of {values}."})
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, **kwargs)


ROLES = [("", "—"), *DealContactRole.choices]


class DealContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    role = choice_field(ROLES, required=False, allow_blank=True)

    class Meta:
        model = DealContact
        fields = ("contact", "contact_name", "role")


class DealSerializer(RecordSerializer):
    contacts = DealContactSerializer(source="deal_contacts", many=True, read_only=True)
    weighted_amount = serializers.SerializerMethodField()
    source = choice_field([("", "—"), *DealSource.choices], required=False, allow_blank=True)
    status = choice_field(DealStatus.choices, read_only=True)

    class Meta:
        model = Deal
        fields = (
            "id",
            "url",
            *Deal.EDITABLE_FIELDS,
            "close_reason",
            "status",
            "weighted_amount",
            "closed_at",
            "stage_changed_at",
            "last_activity_at",
            "contacts",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            *RecordSerializer.read_only_base,
            "status",
            "closed_at",
            "stage_changed_at",
            "last_activity_at",
        )
        extra_kwargs = {"pipeline": {"required": False}, "stage": {"required": False}}

    def get_weighted_amount(self, obj) -> str:
        """The amount times the stage's win probability."""
        return str((obj.amount * obj.stage.probability / decimal.Decimal(100)).quantize(decimal.Decimal("0.01")))


class MoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField(help_text="The id of a stage of the deal's pipeline.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required for a won or lost stage."
    )
    version = serializers.IntegerField(required=False, help_text="Or the If-Match header; a stale one gets 409.")


class ContactRoleSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    role = choice_field(ROLES, required=False, allow_blank=True)


class RoleSerializer(serializers.Serializer):
    role = choice_field(ROLES, allow_blank=True)


class DealStageChangeSerializer(serializers.Serializer):
    from_stage = serializers.IntegerField(source="from_stage_id", allow_null=True)
    to_stage = serializers.IntegerField(source="to_stage_id", allow_null=True)
    changed_at = serializers.DateTimeField()
    changed_by = serializers.CharField(allow_null=True)
    seconds_in_stage = serializers.IntegerField(allow_null=True, help_text="Seconds spent in from_stage.")


class DealViewSet(RecordViewSet):
    """Deals: an opportunity with a company, contacts with roles, amount, stage and owner.

    Lists show the deals you may see; filters are the same as on the deals page
    (pipeline, stage, status, owner, team, amount and close date ranges, `stale`).
    Changing `stage` (or `pipeline`) here moves the deal like `move/`; a won or lost
    stage needs `close_reason`."""

    model = Deal
    serializer_class = DealSerializer
    filterset_class = DealFilterSet
    select_related = ("owner", "company", "pipeline", "stage")
    ordering_fields = ("name", "amount", "expected_close_date", "created_at", "updated_at")
    create_service = staticmethod(services.deal_create)
    update_service = staticmethod(services.deal_update)
    delete_service = staticmethod(services.deal_delete)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("deal_contacts__contact")

    def _reload(self, obj):
        return (
            Deal.objects.select_related(*self.select_related)
            .prefetch_related("tags", "deal_contacts__contact")
            .get(pk=obj.pk)
        )

    @extend_schema(request=MoveSerializer, responses=DealSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request, pk=None):
        """Move the deal to another stage of its pipeline.

        A won or lost stage needs `reason` (400 with `fields.close_reason` otherwise) and
        closes the deal; an open stage reopens it. A stage of another pipeline is refused
        (400). Every move is kept in the stage history."""
        deal = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deal = services.deal_move_stage(
            deal=deal,
            stage=body.validated_data["stage"],
            actor=request.user,
            reason=body.validated_data.get("reason"),
            expected_version=self._expected_version(request),
        )
        obj = self._reload(deal)
        return self._etag(Response(self.get_serializer(obj).data), obj)

    @extend_schema(request=None, responses=DealStageChangeSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="stage-history", filter_backends=[], pagination_class=None)
    def stage_history(self, request, pk=None):
        """The deal's moves between stages, newest first, with the seconds spent in the stage left."""
        from ..selectors import deal_stage_history

        deal = self.get_object()
        return Response(DealStageChangeSerializer(deal_stage_history(deal), many=True).data)

    @extend_schema(methods=["GET"], request=None, responses=DealContactSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=ContactRoleSerializer, responses=DealContactSerializer, filters=False)
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def contacts(self, request, pk=None):
        """The contacts on the deal with their roles; POST puts a contact on it (or changes its role)."""
        deal = self.get_object()
        if request.method == "GET":
            links = DealContact.objects.filter(deal=deal, contact__deleted_at__isnull=True).select_related("contact")
            return Response(DealContactSerializer(links.order_by("contact__name", "pk"), many=True).data)
        body = ContactRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.deal_contact_add(
            deal=deal,
            contact=body.validated_data["contact"],
            role=body.validated_data.get("role", ""),
            actor=request.user,
        )
        return Response(DealContactSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["PATCH"], request=RoleSerializer, responses=DealContactSerializer, filters=False)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None}, filters=False)
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"contacts/(?P<contact_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def contact(self, request, pk=None, contact_id=None):
        """Change the role of a contact on the deal (PATCH) or take it off the deal (DELETE)."""
        deal = self.get_object()
        link = DealContact.objects.filter(deal=deal, contact_id=contact_id).select_related("deal", "contact").first()
        if link is None:
            raise NotFoundError()
        if request.method == "DELETE":
            services.deal_contact_remove(link=link, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.deal_contact_set_role(link=link, role=body.validated_data["role"], actor=request.user)
        return Response(DealContactSerializer(link).data)


# Pipelines and stages ----------------------------------------------------------------
class StageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Stage
        fields = ("id", "pipeline", "name", "name_en", "name_zh", "position", "probability", "kind")
        extra_kwargs = {"position": {"required": False}}


class PipelineSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    stages = StageSerializer(many=True, read_only=True)
    is_default = serializers.BooleanField(required=False)

    class Meta:
        model = Pipeline
        fields = ("id", "name", "name_en", "name_zh", "position", "is_default", "active", "stale_after_days", "stages")
        extra_kwargs = {"position": {"required": False}}


class ReorderSerializer(serializers.Serializer):
    stages = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every stage id of the pipeline, in order."
    )


class _SetupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone who sees deals reads the setup; only administrators change it (the
    services check that too)."""

    pagination_class = None
    filter_backends: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        from crm.core.middleware import activate_user_preferences

        activate_user_preferences(request, request.user)
        if not request.user.has_perm("deals.view_deal"):
            raise PermissionDeniedError()

    def get_object(self):
        return get_visible_or_404(self.request.user, self.get_queryset(), pk=self.kwargs["pk"])


class PipelineViewSet(_SetupViewSet):
    """Pipelines with their stages in order. Administrators create, rename (both
    languages), reorder, deactivate them and choose the default (`is_default: true`)."""

    serializer_class = PipelineSerializer

    def get_queryset(self):
        return Pipeline.objects.prefetch_related("stages").order_by("position", "id")

    def perform_create(self, serializer):
        serializer.instance = services.pipeline_create(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.pipeline_update(
            pipeline=serializer.instance, actor=self.request.user, data=dict(serializer.validated_data)
        )

    def destroy(self, request, *args, **kwargs):
        raise ValidationFailed(_("Pipelines are deactivated, not deleted."), code="not_deletable")

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self._fresh(self.get_object())).data)

    def _fresh(self, obj):
        return self.get_queryset().get(pk=obj.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.get_serializer(self._fresh(serializer.instance)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(self.get_serializer(self._fresh(serializer.instance)).data)

    @extend_schema(request=ReorderSerializer, responses=PipelineSerializer)
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        """Put the pipeline's stages in this order (every stage id once)."""
        pipeline = self.get_object()
        body = ReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.stages_reorder(pipeline=pipeline, actor=request.user, stage_ids=body.validated_data["stages"])
        return Response(self.get_serializer(self._fresh(pipeline)).data)


class StageViewSet(_SetupViewSet):
    """Stages of the pipelines: name in both languages, position, win probability and
    kind (`open`, `won`, `lost`). A stage is not deleted while any deal sits in it,
    the recycle bin included (422 `stage_in_use`); filter with `?pipeline=<id>`."""

    serializer_class = StageSerializer

    def get_queryset(self):
        qs = Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position", "id")
        pipeline = self.request.query_params.get("pipeline")
        if pipeline and pipeline.isdigit():
            qs = qs.filter(pipeline_id=int(pipeline))
        return qs

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        pipeline = data.pop("pipeline")
        serializer.instance = services.stage_create(actor=self.request.user, pipeline=pipeline, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        pipeline = data.pop("pipeline", None)
        if pipeline is not None and pipeline.pk != serializer.instance.pipeline_id:
            raise ValidationFailed(fields={"pipeline": [_("A stage cannot move to another pipeline.")]})
        serializer.instance = services.stage_update(stage=serializer.instance, actor=self.request.user, data=data)

    def perform_destroy(self, instance):
        services.stage_delete(stage=instance, actor=self.request.user)


__all__ = ["DealViewSet", "PipelineViewSet", "StageKind", "StageViewSet"]
