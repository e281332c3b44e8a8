from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.errors import ValidationFailed

from .. import approvals, services
from ..filtersets import QuoteFilterSet
from ..models import Quote, QuoteLine
from ..pdf import quote_pdf_filename, render_quote_pdf


class QuoteLineSerializer(serializers.ModelSerializer):
    product = serializers.IntegerField(required=False, allow_null=True, source="product_id")
    quantity = serializers.CharField(help_text="A decimal number, at most 3 decimal places.")
    unit_price = serializers.CharField(help_text="A decimal number, before tax.")
    discount_percent = serializers.CharField(required=False)
    tax_rate = serializers.CharField(required=False, help_text="Default: the product's tax rate.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=20)

    class Meta:
        model = QuoteLine
        fields = (
            "position",
            "product",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "price_source",
            "gross",
            "discount",
            "net",
            "tax",
            "total",
        )
        read_only_fields = ("position", "gross", "discount", "net", "tax", "total")


class QuoteSerializer(RecordSerializer):
    lines = QuoteLineSerializer(many=True, required=False)

    class Meta:
        model = Quote
        fields = (
            "id",
            "url",
            "number",
            "revision",
            "previous",
            "status",
            *Quote.EDITABLE_FIELDS,
            "lines",
            "gross_total",
            "discount_total",
            "net_total",
            "tax_total",
            "total",
            "approval_required",
            "approver",
            "decided_by",
            "decided_at",
            "decision_comment",
            "sent_at",
            "closed_at",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            *RecordSerializer.read_only_base,
            "number",
            "revision",
            "previous",
            "status",
            "gross_total",
            "discount_total",
            "net_total",
            "tax_total",
            "total",
            "approval_required",
            "approver",
            "decided_by",
            "decided_at",
            "decision_comment",
            "sent_at",
            "closed_at",
        )

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        lines = kwargs["data"].pop("lines", None)
        if lines is not None:
            rows = []
            for line in self.initial_data.get("lines") or []:
                rows.append(dict(line) if isinstance(line, dict) else line)
            kwargs["lines"] = rows
        return kwargs

    def to_internal_value(self, data):
        # Lines are validated by the service (per line, with the product's defaults), so
        # that a bad line is reported as lines.<i>.<field> with every other error.
        lines = data.get("lines") if hasattr(data, "get") else None
        if lines is not None and not isinstance(lines, list):
            raise ValidationFailed(fields={"lines": ["Give the lines as a list."]})
        trimmed = {k: v for k, v in data.items() if k != "lines"} if hasattr(data, "items") else data
        value = super().to_internal_value(trimmed)
        if lines is not None:
            value["lines"] = lines
        return value


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    version = serializers.IntegerField(required=False)


class AcceptResultSerializer(serializers.Serializer):
    quote = QuoteSerializer()
    order = serializers.DictField(allow_null=True, help_text="`{id, url}` of the order created, or null.")


class QuoteViewSet(RecordViewSet):
    """Quotes with nested `lines`. Amounts are computed by the server from quantity,
    unit price, discount % and tax rate (per-line half-up rounding, see docs/quotes.md);
    writing `lines` replaces them. Only drafts (and quotes waiting for approval) can be
    edited: `revise/` makes version n+1 of a sent, approved or rejected quote."""

    model = Quote
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilterSet
    select_related = ("owner", "company", "contact", "deal")
    ordering_fields = ("created_at", "updated_at", "valid_until", "total", "number")
    create_service = staticmethod(services.quote_create)
    update_service = staticmethod(services.quote_update)
    delete_service = staticmethod(services.quote_delete)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines")

    def _reload(self, obj):
        return super()._reload(obj) if obj is not None else None

    def _do(self, request, pk, fn, serializer_class=None):
        self._perm("change") if fn is not approvals.quote_approve and fn is not approvals.quote_reject else None
        quote = self.get_object()
        params = {}
        if serializer_class is not None:
            body = serializer_class(data=request.data)
            body.is_valid(raise_exception=True)
            params = dict(body.validated_data)
            params.pop("version", None)
        result = fn(quote=quote, actor=request.user, expected_version=self._expected_version(request), **params)
        return result

    def _one(self, quote):
        quote = self._reload(quote)
        return self._etag(Response(self.get_serializer(quote).data), quote)

    @extend_schema(request=None, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def revise(self, request, pk=None):
        """Create version n+1 (a draft copy); the old version becomes superseded."""
        return self._one(self._do(request, pk, services.quote_revise))

    @extend_schema(request=None, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        """Ask the approver (again) to approve a quote waiting for approval."""
        return self._one(self._do(request, pk, services.quote_submit))

    @extend_schema(request=CommentSerializer, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve (the owner's manager up the team tree, or an administrator)."""
        return self._one(self._do(request, pk, approvals.quote_approve, CommentSerializer))

    @extend_schema(request=CommentSerializer, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject with a comment (required)."""
        return self._one(self._do(request, pk, approvals.quote_reject, CommentSerializer))

    @extend_schema(request=None, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def send(self, request, pk=None):
        """Mark sent. A quote waiting for approval, or rejected, gets 422."""
        return self._one(self._do(request, pk, services.quote_send))

    @extend_schema(request=None, responses=AcceptResultSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The customer accepted: with the orders app, an order is created from the quote."""
        quote, order = self._do(request, pk, services.quote_accept)
        quote = self._reload(quote)
        order_data = None
        if order is not None:
            order_data = {"id": order.pk, "url": order.get_absolute_url() if hasattr(order, "get_absolute_url") else ""}
        return self._etag(Response({"quote": self.get_serializer(quote).data, "order": order_data}), quote)

    @extend_schema(request=DeclineSerializer, responses=QuoteSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request, pk=None):
        """The customer declined."""
        return self._one(self._do(request, pk, services.quote_decline, DeclineSerializer))

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The quote PDF.")},
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def pdf(self, request, pk=None):
        """The quote as a PDF in its language."""
        quote = self.get_object()
        response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{quote_pdf_filename(quote)}"'
        return response
