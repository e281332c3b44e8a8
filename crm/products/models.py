"""The product catalog: categories, products and services, price lists and volume discounts.

A product's ``list_price`` is its price before tax in its own ``currency``. What a given
customer pays is decided by ``crm.products.pricing.price_for`` (price lists for the
customer's tier or segment, then volume discounts); see docs/quotes.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord
from crm.core.money import MoneyField

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _localized(en: str, zh: str) -> str:
    if (get_language() or "").startswith("zh") and zh:
        return zh
    return en


class ProductCategory(models.Model):
    name = models.CharField(_("name (English)"), max_length=100, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_zh)


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class Product(CRMRecord):
    EDITABLE_FIELDS = (
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
    )

    sku = models.CharField(
        _("SKU"), max_length=64, unique=True, blank=True, help_text=_("Leave empty to number it automatically.")
    )
    name = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ProductKind.choices, default=ProductKind.PRODUCT)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
    )
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    list_price = MoneyField(_("list price"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("13.00"), validators=PERCENT_VALIDATORS
    )
    cost = MoneyField(_("cost"), null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    # Lower-cased SKU and both names, written by the services (crm.core.text rules).
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = ["sku", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [("export_product", _("Can export products"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="product_owner_idx"),
            models.Index(fields=["category", "active"], name="product_category_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.display_name}"

    @property
    def display_name(self) -> str:
        return _localized(self.name, self.name_zh)

    def name_in(self, language: str) -> str:
        return self.name_zh if (language or "").startswith("zh") and self.name_zh else self.name


class PriceList(models.Model):
    """Unit prices for customers of one tier or one segment, for a period."""

    class Tier(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    tier = models.CharField(_("customer tier"), max_length=1, choices=Tier.choices, blank=True)
    segment = models.ForeignKey(
        "core.SavedFilter",
        verbose_name=_("segment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers win when several price lists apply.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    unit_price = MoneyField(_("unit price"), validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["price_list", "product"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="pricelistitem_unique")]

    def __str__(self) -> str:
        return f"{self.price_list} / {self.product}"


class VolumeDiscount(models.Model):
    """From ``min_quantity`` units on one line, ``discount_percent`` off (one product, or all)."""

    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="volume_discounts",
        help_text=_("Empty: every product."),
    )
    min_quantity = models.DecimalField(
        _("from quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["product", "min_quantity", "id"]
        verbose_name = _("volume discount")
        verbose_name_plural = _("volume discounts")

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: {self.discount_percent}%"
