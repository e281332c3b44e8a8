from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Product, ProductKind


def price_text(value) -> str:
    """A price with two decimals, or up to four when it has them (560.0000 -> 560.00)."""
    if value in (None, ""):
        return ""
    text = f"{value:.4f}".rstrip("0")
    whole, _dot, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


class ProductTable(Table):
    model = Product
    select_related = ("owner", "category")
    columns = [
        Column("sku", _("SKU"), link=True),
        Column("name", _("Name (English)"), link=True),
        Column("name_zh", _("Name (Chinese)")),
        Column("kind", _("Kind"), formatter=choice_label(ProductKind.choices)),
        Column("category", _("Category"), order_by="category__name"),
        Column("unit", _("Unit")),
        Column("list_price", _("List price"), formatter=price_text),
        Column("currency", _("Currency")),
        Column("tax_rate", _("Tax rate (%)")),
        Column("cost", _("Cost"), formatter=price_text),
        Column("active", _("Active")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["sku", "name", "name_zh", "category", "unit", "list_price", "currency", "active"]
