"""The forecast, the funnel, quotas and snapshots over the REST API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.accounts.models import Team
from crm.core.errors import NotFoundError, ValidationFailed
from crm.core.middleware import activate_user_preferences

from .. import selectors, services
from ..models import ForecastSnapshot, Quota
from ..periods import parse_period

PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="`2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year), in the company time zone. "
    "Default: the current quarter.",
)
PIPELINE = OpenApiParameter("pipeline", OpenApiTypes.INT, OpenApiParameter.QUERY, description="A pipeline id.")
TEAM = OpenApiParameter(
    "team",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Only deals owned by this team and the teams below it.",
)
OWNER = OpenApiParameter("owner", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Only this owner's deals.")
GROUP_BY = OpenApiParameter(
    "group_by", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["owner", "team"], default="owner"
)


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="The first day after the period.")


def period_data(period) -> dict:
    return {"key": period.key, "kind": period.kind, "label": period.label, "start": period.start, "end": period.end}


class ForecastRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='"user:<id>", "team:<id>", "none" (no owner or team) or "total".')
    label = serializers.CharField()
    user = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="Depth in the team tree (team rows include the teams below).")
    quota = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=True)
    closed_won = serializers.DecimalField(max_digits=20, decimal_places=2)
    commit = serializers.DecimalField(max_digits=20, decimal_places=2)
    best_case = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=20, decimal_places=2)
    pipeline = serializers.DecimalField(max_digits=20, decimal_places=2)
    open_deals = serializers.IntegerField()
    won_deals = serializers.IntegerField()
    attainment = serializers.DecimalField(
        max_digits=10, decimal_places=1, allow_null=True, help_text="Closed-won as a percentage of the quota."
    )


class OtherCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    closed_won = serializers.DecimalField(max_digits=20, decimal_places=2)
    commit = serializers.DecimalField(max_digits=20, decimal_places=2)
    best_case = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=20, decimal_places=2)
    pipeline = serializers.DecimalField(max_digits=20, decimal_places=2)


class ForecastSerializer(serializers.Serializer):
    period = PeriodSerializer()
    group_by = serializers.CharField()
    currency = serializers.CharField(help_text="Every amount is in this currency; other currencies are apart.")
    commit_threshold = serializers.IntegerField()
    rows = ForecastRowSerializer(many=True)
    total = ForecastRowSerializer()
    other_currencies = OtherCurrencySerializer(many=True)


def forecast_data(result) -> dict:
    return {
        "period": period_data(result.period),
        "group_by": result.group_by,
        "currency": result.currency,
        "commit_threshold": result.commit_threshold,
        "rows": [row.as_dict() for row in result.rows],
        "total": result.total.as_dict(),
        "other_currencies": [
            {
                "currency": cur,
                "closed_won": str(f.closed_won),
                "commit": str(f.commit),
                "best_case": str(f.best_case),
                "weighted": str(f.weighted),
                "pipeline": str(f.pipeline),
            }
            for cur, f in result.other_currencies.items()
        ],
    }


class FunnelStepSerializer(serializers.Serializer):
    stage = serializers.IntegerField(allow_null=True, help_text="Null for the won step (all won stages).")
    label = serializers.CharField()
    probability = serializers.IntegerField(allow_null=True)
    won = serializers.BooleanField()
    reached = serializers.IntegerField(help_text="Deals that reached this step (or a later one) in the period.")
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    conversion_to_next = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)


class FunnelSerializer(serializers.Serializer):
    period = PeriodSerializer()
    pipeline = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    steps = FunnelStepSerializer(many=True)
    lost = serializers.IntegerField(help_text="Deals moved to a lost stage in the period.")
    win_rate = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)


def funnel_data(result) -> dict:
    return {
        "period": period_data(result.period),
        "pipeline": result.pipeline.pk if result.pipeline else None,
        "currency": result.currency,
        "steps": [s.as_dict() for s in result.steps],
        "lost": result.lost,
        "win_rate": None if result.win_rate is None else str(result.win_rate),
    }


class UserPreferencesMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)


def _filters(request):
    params = request.query_params
    return selectors.parse_filters(
        request.user, pipeline=params.get("pipeline"), team=params.get("team"), owner=params.get("owner")
    )


class ForecastViewSet(UserPreferencesMixin, viewsets.ViewSet):
    @extend_schema(parameters=[PERIOD, GROUP_BY, PIPELINE, TEAM, OWNER], responses=ForecastSerializer)
    def list(self, request):
        """The forecast of a period per owner or team: quota, closed-won, commit, best case,
        weighted pipeline and attainment, over the deals you may see."""
        period = parse_period(request.query_params.get("period"))
        group_by = request.query_params.get("group_by") or "owner"
        result = selectors.forecast(user=request.user, period=period, group_by=group_by, filters=_filters(request))
        return Response(forecast_data(result))


class FunnelViewSet(UserPreferencesMixin, viewsets.ViewSet):
    @extend_schema(parameters=[PERIOD, PIPELINE, TEAM, OWNER], responses=FunnelSerializer)
    def list(self, request):
        """The deals of a pipeline (default: the default pipeline) that reached each stage
        in the period, with the conversion rate from each stage to the next."""
        period = parse_period(request.query_params.get("period"))
        result = selectors.funnel(user=request.user, period=period, filters=_filters(request))
        return Response(funnel_data(result))


class QuotaSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none(), required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none(), required=False, allow_null=True)
    period = serializers.CharField(help_text="`2026-11`, `2026-Q4` or `2026`.")
    amount = serializers.CharField(help_text="A decimal amount, e.g. `1200000.00`.")

    class Meta:
        model = Quota
        fields = [
            "id",
            "user",
            "team",
            "period",
            "period_kind",
            "period_start",
            "amount",
            "currency",
            "version",
            "updated_at",
        ]
        read_only_fields = ["id", "period_kind", "period_start", "version", "updated_at"]
        extra_kwargs = {"currency": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            reach = selectors.deal_reach(request.user)
            self.fields["user"].queryset = reach.users()
            self.fields["team"].queryset = reach.teams()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["period"] = instance.period.key
        data["amount"] = str(instance.amount)
        return data

    def validate_period(self, value):
        return parse_period(value)

    def validate_amount(self, value):
        return services.parse_amount(value)


class QuotaUpdateSerializer(serializers.Serializer):
    amount = serializers.CharField(help_text="A decimal amount, e.g. `1200000.00`.")
    version = serializers.IntegerField(required=False, help_text="The version you last read; a stale one gets 409.")

    def validate_amount(self, value):
        return services.parse_amount(value)


class QuotaFilterSet(filters.FilterSet):
    period = filters.CharFilter(method="filter_period", label="period")
    user = filters.NumberFilter(field_name="user_id")
    team = filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Quota
        fields = ["period", "user", "team"]

    def filter_period(self, queryset, name, value):
        period = parse_period(value)
        return queryset.filter(period_kind=period.kind, period_start=period.start)


class QuotaViewSet(
    UserPreferencesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Quotas per user or team and period. Reading follows the reach of deals; setting
    needs the quota permissions (administrators, and sales managers for their teams)."""

    serializer_class = QuotaSerializer
    filterset_class = QuotaFilterSet
    ordering_fields = ("period_start", "updated_at")
    queryset = Quota.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quota.objects.none()
        selectors.require_forecast_access(self.request.user)
        return selectors.visible_quotas(self.request.user).order_by("period_start", "period_kind", "id")

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise NotFoundError() from None
        quota = self.get_queryset().filter(pk=pk).first()
        if quota is None:
            raise NotFoundError()
        return quota

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return QuotaUpdateSerializer
        return QuotaSerializer

    @extend_schema(request=QuotaSerializer, responses={201: QuotaSerializer, 200: QuotaSerializer})
    def create(self, request, *args, **kwargs):
        """Set the quota of one user or team for one period (`user` or `team`, not both).
        A quota already set for that period is replaced (200); a new one answers 201."""
        serializer = QuotaSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = Quota.objects.filter(
            period_kind=data["period"].kind,
            period_start=data["period"].start,
            **({"user": data["user"]} if data.get("user") else {"team": data.get("team")}),
        ).exists()
        quota = services.quota_set(
            actor=request.user,
            period=data["period"],
            amount=data["amount"],
            user=data.get("user"),
            team=data.get("team"),
            currency=data.get("currency"),
        )
        return Response(
            QuotaSerializer(quota, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(request=QuotaUpdateSerializer, responses=QuotaSerializer)
    def update(self, request, *args, **kwargs):
        """Change the amount. Send `version` (or `If-Match`) to be told (409) when someone
        changed it since you read it."""
        quota = self.get_object()
        serializer = QuotaUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        expected = serializer.validated_data.get("version")
        header = request.headers.get("If-Match", "").strip().strip("W/").strip('"')
        if header:
            try:
                expected = int(header)
            except ValueError:
                raise ValidationFailed(fields={"version": [_("Expected the record's version number.")]}) from None
        quota = services.quota_set(
            actor=request.user,
            period=quota.period,
            amount=serializer.validated_data["amount"],
            user=quota.user,
            team=quota.team,
            expected_version=expected,
        )
        return Response(QuotaSerializer(quota, context=self.get_serializer_context()).data)

    @extend_schema(request=QuotaUpdateSerializer, responses=QuotaSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the amount (same as PUT)."""
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        """Remove a quota."""
        services.quota_delete(actor=request.user, quota=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SnapshotSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()

    class Meta:
        model = ForecastSnapshot
        fields = [
            "id",
            "week_start",
            "period",
            "period_kind",
            "period_start",
            "owner",
            "team",
            "currency",
            "pipeline",
            "weighted",
            "commit",
            "best_case",
            "closed_won",
            "quota",
            "commit_threshold",
            "taken_at",
        ]
        read_only_fields = fields

    def get_period(self, obj) -> str:
        return obj.period.key


class SnapshotFilterSet(filters.FilterSet):
    period = filters.CharFilter(method="filter_period", label="period")
    week = filters.DateFilter(field_name="week_start")
    owner = filters.NumberFilter(field_name="owner_id")
    team = filters.NumberFilter(field_name="team_id")

    class Meta:
        model = ForecastSnapshot
        fields = ["period", "week", "owner", "team"]

    def filter_period(self, queryset, name, value):
        period = parse_period(value)
        return queryset.filter(period_kind=period.kind, period_start=period.start)


class JobQueuedSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    url = serializers.CharField()


class SnapshotViewSet(UserPreferencesMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The weekly forecast snapshots of the owners and teams whose deals you may see."""

    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilterSet
    ordering_fields = ("week_start", "period_start")
    queryset = ForecastSnapshot.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ForecastSnapshot.objects.none()
        selectors.require_forecast_access(self.request.user)
        return selectors.visible_snapshots(self.request.user).order_by("-week_start", "period_start", "id")

    @extend_schema(request=None, responses={202: JobQueuedSerializer}, filters=False)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def take(self, request):
        """Take this week's snapshot now, as a background job (administrators only).
        Taking it again in the same week updates the week's rows."""
        job = services.forecast_snapshot_request(actor=request.user)
        return Response(
            {"job": job.pk, "url": request.build_absolute_uri(reverse("core:job_detail", args=[job.pk]))},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        parameters=[PERIOD, TEAM, OWNER],
        responses=inline_serializer(
            "ForecastHistory",
            {
                "period": PeriodSerializer(),
                "actual_closed_won": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
                "weeks": inline_serializer(
                    "ForecastHistoryWeek",
                    {
                        "week_start": serializers.DateField(),
                        "pipeline": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "weighted": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "commit": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "best_case": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "closed_won": serializers.DecimalField(max_digits=20, decimal_places=2),
                        "quota": serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True),
                        "accuracy_commit": serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True),
                        "accuracy_weighted": serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True),
                    },
                    many=True,
                ),
            },
        ),
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request):
        """How the forecast of a period moved, week by week (the owners' snapshots added
        up), and for a period that has ended the accuracy of each week's forecast:
        final closed-won ÷ commit and ÷ weighted, in %."""
        period = parse_period(request.query_params.get("period"))
        params = request.query_params
        filters_ = selectors.parse_filters(request.user, team=params.get("team"), owner=params.get("owner"))
        result = selectors.forecast_history(user=request.user, period=period, filters=filters_)
        return Response(
            {
                "period": period_data(result.period),
                "actual_closed_won": None if result.actual_closed_won is None else str(result.actual_closed_won),
                "weeks": [p.as_dict() for p in result.points],
            }
        )
