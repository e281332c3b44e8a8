from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date

from crm.core.views.generic import RecordPages
from crm.core.visibility import get_visible_or_404, visible_to

from . import services
from .filtersets import ProductFilterSet
from .forms import ProductForm
from .models import Product
from .selectors import price_for, products_for_picker
from .tables import ProductTable, price_text

product_pages = RecordPages(
    model=Product,
    filterset=ProductFilterSet,
    table=ProductTable,
    form=ProductForm,
    create=services.product_create,
    update=services.product_update,
    delete=services.product_delete,
    detail_fields=[
        "sku",
        "name",
        "name_zh",
        "kind",
        "category",
        "unit",
        "list_price",
        "currency",
        "tax_rate",
        "cost",
        "active",
        "description",
        "owner",
        "created_at",
        "updated_at",
    ],
    bulk_fields=["category", "active", "tax_rate", "owner"],
    slug="products",
)


def customer_from_request(user, params):
    """The company or contact named in ``params`` (``contact`` wins), visible to ``user``."""
    from crm.contacts.models import Company, Contact

    for key, model in (("contact", Contact), ("company", Company)):
        value = params.get(key)
        if value and str(value).isdigit():
            return get_visible_or_404(
                user, model.objects.select_related(*(["company"] if key == "contact" else [])), pk=int(value)
            )
    return None


def _price_json(product: Product, price, language: str) -> dict:
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "name_zh": product.name_zh,
        "description": product.name_in(language),
        "unit": product.unit,
        "tax_rate": str(product.tax_rate),
        "currency": price.currency,
        "unit_price": None if price.unit_price is None else price_text(price.unit_price),
        "discount_percent": str(price.discount_percent),
        "price_source": price.price_source,
        "price_source_label": str(price.price_source_label),
        "discount_source_label": str(price.discount_source_label),
    }


@login_required
def product_lookup(request):
    """JSON for the quote line picker: matching products with the customer's price."""
    if not request.user.has_perm("products.view_product"):
        raise Http404
    currency = (request.GET.get("currency") or "").strip().upper()[:3] or None
    language = request.GET.get("language") or "en"
    try:
        quantity = Decimal(request.GET.get("quantity") or "1")
        if not quantity.is_finite() or quantity <= 0:
            quantity = Decimal("1")
    except InvalidOperation:
        quantity = Decimal("1")
    on_date = parse_date(request.GET.get("date") or "") or timezone.localdate()
    customer = customer_from_request(request.user, request.GET)
    if request.GET.get("id", "").isdigit():
        products = [
            get_visible_or_404(
                request.user, visible_to(request.user, Product).filter(active=True), pk=int(request.GET["id"])
            )
        ]
    else:
        products = products_for_picker(user=request.user, query=(request.GET.get("q") or "")[:100], limit=10)
    results = [
        _price_json(
            p,
            price_for(
                product=p, customer=customer, quantity=quantity, on_date=on_date, currency=currency or p.currency
            ),
            language,
        )
        for p in products
    ]
    return JsonResponse({"results": results})
