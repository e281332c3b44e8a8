from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.core.api.serializers import RecordSerializer
from crm.core.api.viewsets import RecordViewSet
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.middleware import activate_user_preferences

from .. import services
from ..filtersets import ProductFilterSet
from ..models import PriceList, Product, ProductCategory, VolumeDiscount
from ..pricing import price_for


class ProductSerializer(RecordSerializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=ProductCategory.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Product
        fields = (
            "id",
            "url",
            *Product.EDITABLE_FIELDS,
            "tags",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = RecordSerializer.read_only_base


class PriceSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    currency = serializers.CharField()
    price_source = serializers.CharField(help_text="`price_list`, `list_price` or `none`.")
    price_source_label = serializers.CharField()
    discount_source = serializers.CharField(help_text="`volume_discount` or `none`.")
    discount_source_label = serializers.CharField()
    price_list_id = serializers.IntegerField(allow_null=True)
    volume_discount_id = serializers.IntegerField(allow_null=True)


class PriceQuerySerializer(serializers.Serializer):
    company = serializers.IntegerField(required=False)
    contact = serializers.IntegerField(required=False)
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, default=Decimal("1"), min_value=Decimal("0.001")
    )
    date = serializers.DateField(required=False)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)


class ProductViewSet(RecordViewSet):
    """Products and services of the catalog. `q` searches the SKU and both names
    (and their pinyin); `price/` answers what a customer pays (price lists, volume
    discounts; see docs/quotes.md)."""

    model = Product
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    select_related = ("owner", "category")
    ordering_fields = ("sku", "name", "list_price", "created_at", "updated_at")
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    delete_service = staticmethod(services.product_delete)

    @extend_schema(
        parameters=[
            OpenApiParameter("company", int, description="The customer (a company)."),
            OpenApiParameter("contact", int, description="The customer (a contact); wins over company."),
            OpenApiParameter("quantity", str, description="Quantity on the line (default 1)."),
            OpenApiParameter("date", str, description="Date of the price (default today)."),
            OpenApiParameter("currency", str, description="Currency (default the product's)."),
        ],
        responses=PriceSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def price(self, request, pk=None):
        """The unit price and discount a customer gets for a quantity on a date, and where
        each came from."""
        from ..views import customer_from_request

        product = self.get_object()
        query = PriceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        customer = customer_from_request(
            request.user, {k: str(v) for k, v in params.items() if k in ("company", "contact")}
        )
        price = price_for(
            product=product,
            customer=customer,
            quantity=params.get("quantity") or Decimal("1"),
            on_date=params.get("date"),
            currency=(params.get("currency") or product.currency).upper(),
        )
        return Response(PriceSerializer(price.__dict__).data)


class _AdminWriteMixin:
    """Everyone with the product view permission reads; administrators change."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if not request.user.has_perm("products.view_product"):
            raise PermissionDeniedError()
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.user.is_crm_admin:
            raise PermissionDeniedError()


class _SetupViewSet(
    _AdminWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    save_service = None
    delete_service = None

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        return type(self).save_service(actor=self.request.user, data=data, instance=instance)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self._save(serializer)
        return Response(self.get_serializer(obj).data, status=201)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        obj = self._save(serializer, instance=obj)
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        type(self).delete_service(actor=request.user, instance=self.get_object())
        return Response(status=204)


class ProductCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductCategory
        fields = ("id", "name", "name_zh", "position")


class ProductCategoryViewSet(_SetupViewSet):
    """Product categories (administrators change them)."""

    queryset = ProductCategory.objects.all()
    serializer_class = ProductCategorySerializer
    save_service = staticmethod(services.category_save)
    delete_service = staticmethod(services.category_delete)


class PriceListItemSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=4, min_value=Decimal("0"))


class PriceListSerializer(serializers.ModelSerializer):
    items = PriceListItemSerializer(many=True, required=False)

    class Meta:
        model = PriceList
        fields = (
            "id",
            "name",
            "currency",
            "tier",
            "segment",
            "valid_from",
            "valid_until",
            "priority",
            "active",
            "items",
            "created_at",
        )
        read_only_fields = ("id", "created_at")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["items"] = [
            {"product": item.product_id, "unit_price": str(item.unit_price)} for item in instance.items.all()
        ]
        return data


class PriceListViewSet(_SetupViewSet):
    """Price lists for a customer tier or a segment, with their unit prices
    (administrators change them). Writing `items` replaces all of them."""

    queryset = PriceList.objects.prefetch_related("items")
    serializer_class = PriceListSerializer
    delete_service = staticmethod(services.price_list_delete)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        items = data.pop("items", None)
        if items is not None:
            items = [(row["product"], row["unit_price"]) for row in items]
        return services.price_list_save(actor=self.request.user, data=data, items=items, instance=instance)


class VolumeDiscountSerializer(serializers.ModelSerializer):
    class Meta:
        model = VolumeDiscount
        fields = ("id", "product", "min_quantity", "discount_percent", "active")

    def validate(self, attrs):
        if not attrs and not self.partial:
            raise ValidationFailed()
        return attrs


class VolumeDiscountViewSet(_SetupViewSet):
    """Volume discounts: from `min_quantity` on one line, `discount_percent` off one
    product (or every product when `product` is null)."""

    queryset = VolumeDiscount.objects.select_related("product")
    serializer_class = VolumeDiscountSerializer
    save_service = staticmethod(services.volume_discount_save)
    delete_service = staticmethod(services.volume_discount_delete)
