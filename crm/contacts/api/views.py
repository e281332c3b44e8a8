from drf_spectacular.utils import extend_schema
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


class CompanyViewSet(TierHistoryMixin, RecordViewSet):
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


class ContactViewSet(TierHistoryMixin, RecordViewSet):
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
