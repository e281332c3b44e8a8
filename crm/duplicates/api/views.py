"""Duplicate pairs through the API: the list to review, "not a duplicate", a scan,
and the check a client runs before creating a record."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from crm.core.jobs import job_enqueue
from crm.core.middleware import activate_user_preferences
from crm.core.pagination import parse_int

from .. import engine, scan, selectors, services
from ..models import DuplicatePair, PairKind, PairStatus
from ..tasks import duplicates_scan_job


class DuplicatePairSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind", read_only=True)
    reason_texts = serializers.SerializerMethodField()
    a_url = serializers.SerializerMethodField()
    b_url = serializers.SerializerMethodField()
    merge_url = serializers.SerializerMethodField()
    reviewed_by = serializers.StringRelatedField()

    class Meta:
        model = DuplicatePair
        fields = (
            "id",
            "type",
            "a_id",
            "b_id",
            "a_url",
            "b_url",
            "score",
            "reasons",
            "reason_texts",
            "status",
            "reviewed_by",
            "reviewed_at",
            "found_at",
            "merge_url",
        )
        read_only_fields = fields

    def _api_url(self, pair, pk) -> str:
        model = scan.model_for(pair.kind)
        return reverse(f"{model._meta.model_name}-detail", args=[pk])

    def get_reason_texts(self, pair) -> list[str]:
        return selectors.reasons_text(pair.reasons)

    def get_a_url(self, pair) -> str:
        return self._api_url(pair, pair.a_id)

    def get_b_url(self, pair) -> str:
        return self._api_url(pair, pair.b_id)

    def get_merge_url(self, pair) -> str:
        """The API endpoint that merges the two records (POST with ``ids``)."""
        model = scan.model_for(pair.kind)
        return reverse(f"{model._meta.model_name}-merge")


class ScanRequestSerializer(serializers.Serializer):
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=PairKind.choices), required=False, allow_empty=False
    )


class CheckMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    reason_codes = serializers.ListField(child=serializers.CharField())


TYPE_PARAM = OpenApiParameter("type", OpenApiTypes.STR, enum=list(PairKind.values), description="companies or contacts")
CHECK_PARAMS = [
    OpenApiParameter("type", OpenApiTypes.STR, enum=list(PairKind.values), required=True),
    *(
        OpenApiParameter(name, OpenApiTypes.STR)
        for name in ("name", "email", "phone", "company", "registration_number", "website", "region", "address")
    ),
]


class DuplicatePairViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Likely duplicate companies and contacts found by the scan, most likely first.

    Only pairs whose two records you may both see are listed. Filter with `type`
    (`company`, `contact`), `min_score` (default 80) and `status` (`open`,
    `merged`, `not_duplicate`; default `open`). Merge a pair with the record type's
    `merge/` endpoint (`merge_url`); the pair is then marked merged."""

    serializer_class = DuplicatePairSerializer
    queryset = DuplicatePair.objects.none()
    filter_backends: list = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if not selectors.kinds_visible_to(request.user):
            raise PermissionDeniedError()

    def get_queryset(self):
        params = self.request.query_params
        kind = params.get("type") or None
        if kind is not None and kind not in PairKind.values:
            raise ValidationFailed(fields={"type": [_("Choose company or contact.")]})
        pair_status = params.get("status") or PairStatus.OPEN
        if pair_status not in PairStatus.values:
            raise ValidationFailed(fields={"status": [_("Choose open, merged or not_duplicate.")]})
        min_score = parse_int(params.get("min_score"), engine.DEFAULT_MIN_SCORE, minimum=0, maximum=100)
        if self.action != "list":
            return DuplicatePair.objects.none()  # single pairs are read by get_object
        return selectors.pairs_visible_to(
            self.request.user, kind=kind, min_score=min_score, status=pair_status
        ).prefetch_related("reviewed_by")

    def get_object(self):
        pair = selectors.pair_visible_or_none(self.request.user, self.kwargs.get("pk"))
        if pair is None:
            raise NotFoundError()
        return pair

    @extend_schema(
        parameters=[
            TYPE_PARAM,
            OpenApiParameter("min_score", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(PairStatus.values)),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=DuplicatePairSerializer)
    @action(detail=True, methods=["post"], url_path="not-duplicate")
    def not_duplicate(self, request, pk=None):
        """Remember that the two records are different: the pair is never proposed again."""
        pair = services.pair_mark_not_duplicate(pair=self.get_object(), actor=request.user)
        return Response(self.get_serializer(pair).data)

    @extend_schema(request=None, responses=DuplicatePairSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Undo a "not a duplicate" decision."""
        pair = services.pair_reopen(pair=self.get_object(), actor=request.user)
        return Response(self.get_serializer(pair).data)

    @extend_schema(
        request=ScanRequestSerializer,
        responses={
            202: inline_serializer(
                "DuplicateScanJob", {"job": serializers.UUIDField(), "status_url": serializers.CharField()}
            )
        },
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def scan(self, request):
        """Administrators: look for duplicates over the whole database in the background
        (`types`: `company`, `contact`; both by default). Follow the job at `status_url`."""
        if not request.user.is_crm_admin:
            raise PermissionDeniedError()
        serializer = ScanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kinds = serializer.validated_data.get("types") or list(engine.KINDS)
        job = job_enqueue(kind="duplicates_scan", task=duplicates_scan_job, user=request.user, params={"kinds": kinds})
        return Response(
            {"job": job.pk, "status_url": reverse("job-detail", args=[job.pk])}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        parameters=CHECK_PARAMS,
        responses=inline_serializer("DuplicateCheck", {"duplicates": CheckMatchSerializer(many=True)}),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def check(self, request):
        """The existing records a new one would duplicate (the same check the create
        endpoints run): `type` and the values you are about to save."""
        params = request.query_params
        kind = params.get("type")
        if kind not in PairKind.values:
            raise ValidationFailed(fields={"type": [_("Choose company or contact.")]})
        model = scan.model_for(kind)
        if not request.user.has_perm(f"contacts.view_{model._meta.model_name}"):
            raise PermissionDeniedError()
        data = {key: params.get(key, "") for key in CHECK_KEYS}
        data["emails"] = params.getlist("emails")
        data["phones"] = params.getlist("phones")
        company = params.get("company", "")
        data["company"] = int(company) if company.isdigit() else None
        matches = selectors.matches_for(user=request.user, model=model, data=data)
        return Response({"duplicates": [m.as_dict() for m in matches]})


CHECK_KEYS = ("name", "email", "phone", "registration_number", "website", "region", "address")
