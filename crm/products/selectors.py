"""Reads of the catalog for other apps (quotes, orders): prices and product look-ups."""

from __future__ import annotations

from crm.core.search import search_text_matches
from crm.core.visibility import visible_to

from .models import Product
from .pricing import Price, applicable_price_lists, price_for

__all__ = ["Price", "applicable_price_lists", "price_for", "products_for_picker", "products_search"]


def products_search(queryset, value: str, *, typos: bool = True):
    """Products matching a search box query: SKU, English or Chinese name, pinyin."""
    return search_text_matches(queryset, value, typos=typos)


def products_for_picker(*, user, query: str = "", limit: int = 20):
    """Active products the user may see, matching ``query``, for a quote line picker."""
    qs = visible_to(user, Product).filter(active=True).select_related("category")
    if query:
        qs = products_search(qs, query, typos=False)
    return list(qs.order_by("sku")[:limit])
