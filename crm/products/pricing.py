"""What a customer pays for a product: ``price_for``.

Precedence (docs/quotes.md):

1. **Unit price.** Among the *active* price lists in the requested currency that are
   valid on the date (``valid_from`` ≤ date ≤ ``valid_until``, an empty bound is open)
   and apply to the customer, the one with the lowest ``priority`` number that lists the
   product wins; on equal priority a segment list beats a tier list, then the older list
   (lower id). A list applies to a customer when its segment contains the customer (a
   contact also counts as in a company segment through its company) or its tier is the
   customer's tier (a contact without a tier uses its company's). A list with neither a
   tier nor a segment applies to every customer.
2. Otherwise the product's **list price**, when the product is priced in the requested
   currency. Otherwise there is no price (``unit_price`` is None): the user types one.
3. **Discount.** The active volume discount with the highest ``min_quantity`` not above
   the quantity; a discount for this product beats one for every product. None: 0 %.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PriceList, PriceListItem, Product, VolumeDiscount


@dataclass(frozen=True)
class Price:
    unit_price: Decimal | None
    discount_percent: Decimal
    currency: str
    price_source: str  # "price_list", "list_price" or "none"
    price_source_label: str
    discount_source: str  # "volume_discount" or "none"
    discount_source_label: str
    price_list_id: int | None = None
    volume_discount_id: int | None = None


def _customer_tiers(customer) -> set[str]:
    tiers = set()
    tier = getattr(customer, "tier", "")
    if tier:
        tiers.add(tier)
    elif getattr(customer, "company_id", None) and customer.company is not None and customer.company.tier:
        tiers.add(customer.company.tier)
    return tiers


def _in_segment(segment, customer) -> bool:
    from crm.core.segments import segment_records

    label = customer._meta.label_lower
    try:
        if segment.list_name == label:
            return segment_records(segment=segment, user=segment.user).filter(pk=customer.pk).exists()
        if segment.list_name == "contacts.company" and getattr(customer, "company_id", None):
            return segment_records(segment=segment, user=segment.user).filter(pk=customer.company_id).exists()
    except Exception:
        return False
    return False


def applicable_price_lists(*, customer, on_date: datetime.date, currency: str) -> list[PriceList]:
    """The price lists that apply to ``customer`` on ``on_date`` in ``currency``, best first."""
    qs = (
        PriceList.objects.filter(active=True, currency=currency)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on_date))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on_date))
        .select_related("segment", "segment__user")
    )
    tiers = _customer_tiers(customer) if customer is not None else set()
    result = []
    for price_list in qs:
        if price_list.segment_id is not None:
            if customer is not None and _in_segment(price_list.segment, customer):
                result.append((price_list.priority, 0, price_list.pk, price_list))
        elif price_list.tier:
            if price_list.tier in tiers:
                result.append((price_list.priority, 1, price_list.pk, price_list))
        else:
            result.append((price_list.priority, 2, price_list.pk, price_list))
    result.sort(key=lambda row: row[:3])
    return [row[3] for row in result]


def price_for(
    *,
    product: Product,
    customer=None,
    quantity: Decimal | int | str = 1,
    on_date: datetime.date | None = None,
    currency: str | None = None,
    price_lists: list[PriceList] | None = None,
) -> Price:
    """The unit price (before tax) and the discount % ``customer`` gets for ``quantity``
    of ``product`` on ``on_date`` in ``currency``, and where each came from.
    ``price_lists`` (from ``applicable_price_lists``) saves the look-up for many lines."""
    on_date = on_date or timezone.localdate()
    currency = (currency or product.currency).upper()
    quantity = Decimal(quantity)
    if price_lists is None:
        price_lists = applicable_price_lists(customer=customer, on_date=on_date, currency=currency)
    unit_price, source, label, list_id = None, "none", _("No price in this currency"), None
    if price_lists:
        items = {
            item.price_list_id: item
            for item in PriceListItem.objects.filter(price_list__in=price_lists, product=product)
        }
        for price_list in price_lists:
            item = items.get(price_list.pk)
            if item is not None:
                unit_price, source, list_id = item.unit_price, "price_list", price_list.pk
                label = _("Price list: %(name)s") % {"name": price_list.name}
                break
    if unit_price is None and product.currency == currency:
        unit_price, source, label = product.list_price, "list_price", _("List price")
    discounts = list(
        VolumeDiscount.objects.filter(active=True, min_quantity__lte=quantity)
        .filter(Q(product=product) | Q(product__isnull=True))
        .order_by("-min_quantity", "id")
    )
    best = next((d for d in discounts if d.product_id == product.pk), None) or next(
        (d for d in discounts if d.product_id is None), None
    )
    if best is not None:
        discount, d_source = best.discount_percent, "volume_discount"
        d_label = _("Volume discount from %(quantity)s") % {"quantity": best.min_quantity.normalize()}
    else:
        discount, d_source, d_label = Decimal("0"), "none", ""
    return Price(
        unit_price=unit_price,
        discount_percent=discount,
        currency=currency,
        price_source=source,
        price_source_label=label,
        discount_source=d_source,
        discount_source_label=d_label,
        price_list_id=list_id,
        volume_discount_id=best.pk if best is not None else None,
    )
