"""Orders through the API: `/orders/` with nested lines, status moves, the payment plan
and payments; `/receivables/aging/` and `/receivables/overdue/`."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.pagination import CappedPageNumberPagination
from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import IF_MATCH, RecordViewSet
from crm.core.errors import NotFoundError, PermissionDeniedError
from crm.core.middleware import activate_user_preferences
from crm.core.services import require_write
from crm.core.visibility import get_visible_or_404

from .. import selectors, services
from ..filtersets import OrderFilterSet
from ..models import Instalment, Order, OrderLine, OrderStatus, Payment, PaymentKind, PaymentMethod


def described_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose values are listed in its description (no shared enum name)."""
    values = ", ".join(f"`{value}`" for value, _label in choices if value)

    @extend_schema_field({"type": "string", "description": f"One of {values}."})
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, **kwargs)


class OrderLineSerializer(serializers.ModelSerializer):
    """A line: the amounts are computed (per line, rounded half-up to the currency)."""

    product = serializers.IntegerField(source="product_id", required=False, allow_null=True)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False)
    unit_price = serializers.DecimalField(max_digits=19, decimal_places=4, required=False, allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    total = serializers.DecimalField(source="line_total", max_digits=20, decimal_places=4, read_only=True)

    class Meta:
        model = OrderLine
        fields = (
            "position",
            "product",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "gross",
            "discount",
            "net",
            "tax",
            "total",
        )
        read_only_fields = ("position", "gross", "discount", "net", "tax", "total")
        extra_kwargs = {"unit": {"required": False}}


class InstalmentSerializer(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True)

    class Meta:
        model = Instalment
        fields = ("id", "sequence", "label", "due_date", "amount", "paid_amount", "outstanding")
        read_only_fields = ("sequence", "paid_amount", "outstanding")


class PaymentSerializer(serializers.ModelSerializer):
    kind = described_choice(PaymentKind.choices, required=False)
    method = described_choice(PaymentMethod.choices, required=False)
    instalment = serializers.IntegerField(source="instalment_id", required=False, allow_null=True)
    paid_at = serializers.DateTimeField(required=False)

    class Meta:
        model = Payment
        fields = ("id", "kind", "amount", "paid_at", "method", "reference", "instalment", "created_at")
        read_only_fields = ("id", "created_at")


class OrderSerializer(RecordSerializer):
    lines = OrderLineSerializer(many=True, required=False, help_text="The whole list of lines (drafts only).")
    instalments = InstalmentSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="Changed through `transition/`.")
    outstanding = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True)

    class Meta:
        model = Order
        fields = (
            "id",
            "url",
            "number",
            "status",
            "status_changed_at",
            *Order.EDITABLE_FIELDS,
            "gross_total",
            "discount_total",
            "net_total",
            "tax_total",
            "total",
            "paid_total",
            "outstanding",
            "lines",
            "instalments",
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            *RecordSerializer.read_only_base,
            "number",
            "status_changed_at",
            "gross_total",
            "discount_total",
            "net_total",
            "tax_total",
            "total",
            "paid_total",
        )

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        lines = kwargs["data"].pop("lines", None)
        if lines is not None:
            kwargs["lines"] = [
                {("product" if k == "product_id" else k): v for k, v in dict(line).items()} for line in lines
            ]
        return kwargs


class TransitionSerializer(serializers.Serializer):
    status = described_choice(OrderStatus.choices, help_text="The status to move to.")
    version = serializers.IntegerField(required=False)


class PlanSerializer(serializers.Serializer):
    instalments = InstalmentSerializer(many=True)
    version = serializers.IntegerField(required=False)


class FromQuoteSerializer(serializers.Serializer):
    quote = serializers.IntegerField(min_value=1)


class OrderViewSet(RecordViewSet):
    """Sales orders. Numbers (`SO-<year>-<000001>`) are given on creation. `lines`
    replaces all lines and is accepted only while the order is a draft; totals are
    computed. The status changes only through `transition/` (draft → confirmed or
    cancelled, confirmed → shipped or cancelled, shipped → delivered, delivered →
    completed); other moves get 422."""

    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    select_related = ("owner", "company", "contact", "deal", "quote")
    ordering_fields = ("order_date", "total", "created_at", "updated_at")
    create_service = staticmethod(services.order_create)
    update_service = staticmethod(services.order_update)
    delete_service = staticmethod(services.order_delete)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines", "instalments")

    def _reload(self, obj):
        return (
            self.model._default_manager.select_related(*self.select_related)
            .prefetch_related("tags", "lines", "instalments")
            .get(pk=obj.pk)
        )

    def _order_for_write(self, pk):
        self._perm("change")
        order = get_visible_or_404(self.request.user, Order, pk=pk)
        require_write(self.request.user, order)
        return order

    def _answer(self, order, code=status.HTTP_200_OK):
        order = self._reload(order)
        return self._etag(Response(self.get_serializer(order).data, status=code), order)

    @extend_schema(request=TransitionSerializer, responses=OrderSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request, pk=None):
        """Move the order to another status. A move the status flow does not allow, or
        cancelling an order with payments not refunded, gets 422."""
        order = self._order_for_write(pk)
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_transition(
            order=order,
            actor=request.user,
            to_status=body.validated_data["status"],
            expected_version=self._expected_version(request),
        )
        return self._answer(order)

    @extend_schema(request=PlanSerializer, responses=OrderSerializer, parameters=[IF_MATCH], filters=False)
    @action(detail=True, methods=["put"], filter_backends=[])
    def plan(self, request, pk=None):
        """Replace the payment plan of a confirmed order. The amounts must add up to the
        total; give an instalment's `id` to keep it (one with payments cannot be dropped)."""
        order = self._order_for_write(pk)
        body = PlanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = [
            {"id": row.get("id"), "label": row.get("label", ""), "due_date": row["due_date"], "amount": row["amount"]}
            for row in request.data.get("instalments", [])
            if isinstance(row, dict)
        ]
        for row, valid in zip(rows, body.validated_data["instalments"], strict=False):
            row.update({"due_date": valid["due_date"], "amount": valid["amount"], "label": valid.get("label", "")})
        order = services.order_set_plan(
            order=order, actor=request.user, instalments=rows, expected_version=self._expected_version(request)
        )
        return self._answer(order)

    @extend_schema(methods=["GET"], responses=PaymentSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=PaymentSerializer, responses={201: PaymentSerializer}, filters=False)
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def payments(self, request, pk=None):
        """The order's payments and refunds; POST records one. More than is outstanding
        on the order (or on the instalment named) gets 400 with the outstanding amount."""
        if request.method == "GET":
            order = self.get_object()
            return Response(PaymentSerializer(order.payments.order_by("paid_at", "id"), many=True).data)
        order = self._order_for_write(pk)
        body = PaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        payment = services.payment_record(
            order=order,
            actor=request.user,
            amount=data["amount"],
            kind=data.get("kind", PaymentKind.PAYMENT),
            method=data.get("method", PaymentMethod.BANK_TRANSFER),
            paid_at=data.get("paid_at"),
            reference=data.get("reference", ""),
            instalment=data.get("instalment_id"),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, filters=False)
    @action(detail=True, methods=["delete"], url_path=r"payments/(?P<payment_id>\d+)", filter_backends=[])
    def payment_delete(self, request, pk=None, payment_id=None):
        """Delete a payment recorded by mistake (audited)."""
        order = self._order_for_write(pk)
        payment = Payment.objects.filter(order=order, pk=payment_id).first()
        if payment is None:
            raise NotFoundError()
        services.payment_delete(payment=payment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=FromQuoteSerializer, responses={201: OrderSerializer}, filters=False)
    @action(detail=False, methods=["post"], url_path="from-quote", filter_backends=[], pagination_class=None)
    def from_quote(self, request):
        """A draft order from an accepted quote (customer, deal, currency and lines)."""
        self._perm("add")
        body = FromQuoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        from crm.quotes.models import Quote

        quote = get_visible_or_404(request.user, Quote, pk=body.validated_data["quote"])
        order = services.order_create_from_quote(actor=request.user, quote=quote)
        return self._answer(order, status.HTTP_201_CREATED)


RECEIVABLE_FILTERS = [
    OpenApiParameter("owner", OpenApiTypes.INT, description="Only orders of this owner."),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only orders whose owner is in this team."),
    OpenApiParameter("currency", OpenApiTypes.STR, description="Only orders in this currency (e.g. CNY)."),
    OpenApiParameter("company", OpenApiTypes.INT, description="Only orders of this company."),
    OpenApiParameter("contact", OpenApiTypes.INT, description="Only orders of this contact."),
]
BUCKET_FIELDS = {
    "currency": serializers.CharField(),
    "instalments": serializers.IntegerField(),
    "d0_30": serializers.DecimalField(max_digits=20, decimal_places=4, help_text="1–30 days past due."),
    "d31_60": serializers.DecimalField(max_digits=20, decimal_places=4),
    "d61_90": serializers.DecimalField(max_digits=20, decimal_places=4),
    "d90_plus": serializers.DecimalField(max_digits=20, decimal_places=4, help_text="More than 90 days past due."),
    "overdue": serializers.DecimalField(max_digits=20, decimal_places=4, help_text="The sum of the buckets."),
}


class OverdueSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    company = serializers.IntegerField(source="order.company_id", allow_null=True)
    contact = serializers.IntegerField(source="order.contact_id", allow_null=True)
    customer = serializers.SerializerMethodField()
    instalment = serializers.IntegerField(source="pk")
    label = serializers.CharField(source="__str__")
    due_date = serializers.DateField()
    days_overdue = serializers.SerializerMethodField()
    amount = serializers.DecimalField(source="unpaid", max_digits=20, decimal_places=4)
    currency = serializers.CharField(source="order.currency")
    owner = serializers.IntegerField(source="order.owner_id", allow_null=True)

    def get_customer(self, obj) -> str:
        order = obj.order
        return order.company.name if order.company_id else (order.contact.name if order.contact_id else "")

    def get_days_overdue(self, obj) -> int:
        return (self.context["today"] - obj.due_date).days


def _int(value):
    return int(value) if str(value or "").isdigit() else None


class ReceivablesViewSet(viewsets.ViewSet):
    """What customers owe: the aging of overdue instalments and the overdue list, over
    the orders you may see (confirmed to completed)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if not request.user.has_perm("orders.view_order"):
            raise PermissionDeniedError()

    def _filters(self, request) -> dict:
        filters = {key: _int(request.query_params.get(key)) for key in ("owner", "team", "company", "contact")}
        currency = (request.query_params.get("currency") or "").strip().upper()
        if len(currency) == 3 and currency.isalpha():
            filters["currency"] = currency
        return {k: v for k, v in filters.items() if v}

    @extend_schema(
        parameters=[
            *RECEIVABLE_FILTERS,
            OpenApiParameter("by", OpenApiTypes.STR, enum=["customer", "owner"], description="Group further."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many rows (largest first), 1–5000."),
        ],
        responses=inline_serializer(
            "ReceivablesAging",
            {
                "as_of": serializers.DateField(),
                "rows": inline_serializer(
                    "AgingRow",
                    {
                        **BUCKET_FIELDS,
                        "company_id": serializers.IntegerField(required=False, allow_null=True),
                        "company_name": serializers.CharField(required=False, allow_null=True),
                        "contact_id": serializers.IntegerField(required=False, allow_null=True),
                        "contact_name": serializers.CharField(required=False, allow_null=True),
                        "owner_id": serializers.IntegerField(required=False, allow_null=True),
                        "owner_username": serializers.CharField(required=False, allow_null=True),
                        "owner_full_name": serializers.CharField(required=False, allow_null=True),
                    },
                    many=True,
                ),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def aging(self, request):
        """Overdue amounts per currency in buckets of days past due (1–30, 31–60, 61–90,
        more than 90) and their total; `by=customer` or `by=owner` groups further."""
        by = request.query_params.get("by")
        today = timezone.localdate()
        limit = _int(request.query_params.get("limit"))
        rows = selectors.aging(
            request.user,
            today=today,
            by=by if by in ("customer", "owner") else None,
            limit=min(limit, 5000) if limit else 5000,
            **self._filters(request),
        )
        money = ("d0_30", "d31_60", "d61_90", "d90_plus", "overdue")
        rows = [{k: (str(v) if k in money else v) for k, v in row.items()} for row in rows]
        return Response({"as_of": today, "rows": rows})

    @extend_schema(
        parameters=[
            *RECEIVABLE_FILTERS,
            OpenApiParameter(
                "by", OpenApiTypes.STR, enum=["owner", "customer"], description="Group by (default owner)."
            ),
        ],
        responses=inline_serializer(
            "ReceivablesOutstanding",
            {
                "currency": serializers.CharField(),
                "orders": serializers.IntegerField(),
                "outstanding": serializers.DecimalField(max_digits=20, decimal_places=4),
                "owner_id": serializers.IntegerField(required=False, allow_null=True),
                "owner_username": serializers.CharField(required=False, allow_null=True),
                "owner_full_name": serializers.CharField(required=False, allow_null=True),
                "company_id": serializers.IntegerField(required=False, allow_null=True),
                "company_name": serializers.CharField(required=False, allow_null=True),
                "contact_id": serializers.IntegerField(required=False, allow_null=True),
                "contact_name": serializers.CharField(required=False, allow_null=True),
            },
            many=True,
        ),
    )
    @action(detail=False, methods=["get"])
    def outstanding(self, request):
        """What is still owed (due or not) per currency, by owner or by customer (the
        500 largest)."""
        by = request.query_params.get("by")
        rows = selectors.outstanding_by(
            request.user, group="customer" if by == "customer" else "owner", **self._filters(request)
        )[:500]
        return Response([{**row, "outstanding": str(row["outstanding"])} for row in rows])

    @extend_schema(parameters=RECEIVABLE_FILTERS, responses=OverdueSerializer(many=True))
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        """The overdue instalments, most overdue first (paged)."""
        today = timezone.localdate()
        rows = selectors.overdue_rows(request.user, today=today, **self._filters(request))
        paginator = CappedPageNumberPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        data = OverdueSerializer(page, many=True, context={"today": today}).data
        return paginator.get_paginated_response(data)
