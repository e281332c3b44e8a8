from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import RecordViewSet

from .. import services
from ..filtersets import CompanyFilterSet, ContactFilterSet
from ..models import Company, Contact
from ..tiers import tier_history
from .tiers import TierChangeSerializer

# The value tier and what it is computed from: read-only, written by the recomputation.
VALUE_FIELDS = (
    "tier",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "lifetime_value",
    "last_purchase_at",
    "last_activity_at",
)


class TextListField(serializers.ListField):
    """A list of phones or e-mails; the services normalise and check each one."""

    child = serializers.CharField(max_length=254, allow_blank=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)


class CompanySerializer(RecordSerializer):
    class Meta:
        model = Company
        fields = (
            "id",
            "url",
            *Company.EDITABLE_FIELDS,
            "tags",
            "custom_fields",
            *VALUE_FIELDS,
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RecordSerializer.read_only_base, *VALUE_FIELDS)


class ContactSerializer(RecordSerializer):
    phones = TextListField()
    emails = TextListField()

    class Meta:
        model = Contact
        fields = (
            "id",
            "url",
            *Contact.EDITABLE_FIELDS,
            "tags",
            "custom_fields",
            *VALUE_FIELDS,
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (*RecordSerializer.read_only_base, *VALUE_FIELDS)


class TierHistoryMixin:
    @extend_schema(responses=TierChangeSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="tier-history", filter_backends=[], pagination_class=None)
    def tier_history(self, request, pk=None):
        """The customer's changes of tier, newest first (at most 100)."""
        return Response(TierChangeSerializer(tier_history(self.get_object(), limit=100), many=True).data)


def _refuse_duplicates(request) -> bool:
    raw = request.query_params.get("on_duplicate")
    if raw is None and hasattr(request.data, "get"):
        raw = request.data.get("on_duplicate")
    return str(raw).lower() == "refuse"


ON_DUPLICATE_PARAM = OpenApiParameter(
    "on_duplicate",
    OpenApiTypes.STR,
    enum=["warn", "refuse"],
    description="`warn` (default): create, and list likely duplicates in `duplicates`. "
    "`refuse`: answer 409 with the likely duplicates instead of creating.",
)


class DuplicateMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    reason_codes = serializers.ListField(child=serializers.CharField())


DUPLICATE_RESPONSE = inline_serializer(
    "DuplicateRefusal",
    {"error": serializers.DictField(), "duplicates": DuplicateMatchSerializer(many=True)},
)


class DuplicateCheckMixin:
    """A new record is checked against the existing ones (crm.duplicates: the same
    e-mail, phone or registration number, a very similar name in the same company).
    By default it is created and the response lists the likely duplicates in
    ``duplicates``; with ``on_duplicate=refuse`` a record with likely duplicates is not
    created and the answer is 409 with them."""

    def create(self, request, *args, **kwargs):
        from crm.duplicates import selectors as duplicate_selectors

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        matches = duplicate_selectors.matches_for(user=request.user, model=self.model, data=serializer.validated_data)
        found = [match.as_dict() for match in matches]
        if found and _refuse_duplicates(request):
            body = {
                "error": {
                    "code": "duplicate",
                    "message": duplicate_selectors.duplicate_message(self.model),
                    "fields": {},
                },
                "duplicates": found,
            }
            return Response(body, status=409)
        response = super().create(request, *args, **kwargs)
        response.data["duplicates"] = [m for m in found if m["id"] != response.data.get("id")]
        return response


class CompanyCreatedSerializer(CompanySerializer):
    duplicates = DuplicateMatchSerializer(many=True, read_only=True)

    class Meta(CompanySerializer.Meta):
        fields = (*CompanySerializer.Meta.fields, "duplicates")


class ContactCreatedSerializer(ContactSerializer):
    duplicates = DuplicateMatchSerializer(many=True, read_only=True)

    class Meta(ContactSerializer.Meta):
        fields = (*ContactSerializer.Meta.fields, "duplicates")


@extend_schema_view(
    create=extend_schema(
        parameters=[ON_DUPLICATE_PARAM], responses={201: CompanyCreatedSerializer, 409: DUPLICATE_RESPONSE}
    )
)
class CompanyViewSet(DuplicateCheckMixin, TierHistoryMixin, RecordViewSet):
    """Companies: customers and prospects, with owner, tags and custom fields.

    Lists show the companies you may see; filters are the same as on the companies
    page. Deleting moves a company to the recycle bin (see `restore`)."""

    model = Company
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    select_related = ("owner", "parent")
    ordering_fields = ("name", "created_at", "updated_at")
    create_service = staticmethod(services.company_create)
    update_service = staticmethod(services.company_update)


@extend_schema_view(
    create=extend_schema(
        parameters=[ON_DUPLICATE_PARAM], responses={201: ContactCreatedSerializer, 409: DUPLICATE_RESPONSE}
    )
)
class ContactViewSet(DuplicateCheckMixin, TierHistoryMixin, RecordViewSet):
    """Contacts: people, with or without a company, with owner, tags and custom fields.

    Lists show the contacts you may see; filters are the same as on the contacts
    page. Deleting moves a contact to the recycle bin (see `restore`)."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    select_related = ("owner", "company")
    ordering_fields = ("name", "created_at", "updated_at")
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
