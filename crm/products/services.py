"""Writes for the catalog: products (audited record services), categories, price lists
and volume discounts (administrator setup, audited too)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record, diff, snapshot
from crm.core import services as core
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.money import is_valid_currency
from crm.core.text import build_search_text, clean_text

from .models import PriceList, PriceListItem, Product, ProductCategory, VolumeDiscount


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def product_search_text(*, sku: str, name: str, name_zh: str) -> str:
    return build_search_text(names=[name, name_zh], others=[sku])


def product_refresh_search_text(product: Product) -> None:
    """Written with its own UPDATE after the generic service, so it stays out of the audit log."""
    text = product_search_text(sku=product.sku, name=product.name, name_zh=product.name_zh)
    if product.search_text != text:
        Product.all_objects.filter(pk=product.pk).update(search_text=text)
        product.search_text = text


def _clean_product(data: dict, instance: Product | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for key in sorted(set(cleaned) - set(Product.EDITABLE_FIELDS)):
        _add(errors, key, _("This field cannot be set."))
    for key in ("sku", "name", "name_zh", "unit"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if isinstance(cleaned.get("sku"), str):
        cleaned["sku"] = cleaned["sku"].upper()
        clash = Product.all_objects.filter(sku=cleaned["sku"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if cleaned["sku"] and clash.exists():
            _add(errors, "sku", _("Another product already has this SKU."))
    if isinstance(cleaned.get("currency"), str):
        cleaned["currency"] = cleaned["currency"].strip().upper()
        if not is_valid_currency(cleaned["currency"]):
            _add(errors, "currency", _("Enter a three-letter currency code such as CNY."))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _next_sku() -> str:
    last = Product.all_objects.filter(sku__regex=r"^P[0-9]{6}$").order_by("-sku").values_list("sku", flat=True).first()
    return f"P{(int(last[1:]) + 1) if last else 1:06d}"


def product_create(*, actor, data: dict, custom_fields=None, tags=None) -> Product:
    data = _clean_product(data)
    if not data.get("sku"):
        data["sku"] = _next_sku()
    with transaction.atomic():
        product = core.record_create(model=Product, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        product_refresh_search_text(product)
    return product


def product_update(
    *, instance: Product, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Product:
    data = _clean_product(data, instance)
    with transaction.atomic():
        product = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        product_refresh_search_text(product)
    return product


def product_delete(*, instance: Product, actor) -> Product:
    return core.record_delete(instance=instance, actor=actor)


# Setup: categories, price lists, volume discounts (administrators) -----------------


def _require_admin(actor) -> None:
    if actor is not None and not getattr(actor, "is_crm_admin", False):
        raise PermissionDeniedError()


def _save_setup(*, actor, instance, data: dict):
    """Create or update one setup row (administrators), validated and audited."""
    _require_admin(actor)
    creating = instance.pk is None
    before = {} if creating else snapshot(type(instance).objects.get(pk=instance.pk))
    for name, value in data.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationFailed(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
        raise ValidationFailed(fields={"__all__": [str(m) for m in exc.messages]}) from None
    with transaction.atomic():
        instance.save()
        after = snapshot(instance)
        if creating:
            changes = [{"field": k, "old": None, "new": v} for k, v in after.items() if v not in (None, "", {}, [])]
            audit_record(action=Action.CREATE, actor=actor, instance=instance, changes=changes)
        else:
            changes = diff(before, after)
            if changes:
                audit_record(action=Action.UPDATE, actor=actor, instance=instance, changes=changes)
    return instance


def _delete_setup(*, actor, instance) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(action=Action.PURGE, actor=actor, instance=instance)
        instance.delete()


def category_save(*, actor, data: dict, instance: ProductCategory | None = None) -> ProductCategory:
    data = {k: clean_text(v) if isinstance(v, str) else v for k, v in data.items()}
    return _save_setup(actor=actor, instance=instance or ProductCategory(), data=data)


def category_delete(*, actor, instance: ProductCategory) -> None:
    _delete_setup(actor=actor, instance=instance)


def price_list_save(*, actor, data: dict, items=None, instance: PriceList | None = None) -> PriceList:
    """Save a price list and, with ``items`` (product, unit_price pairs), replace its items."""
    errors: dict[str, list[str]] = {}
    data = dict(data)
    if isinstance(data.get("currency"), str):
        data["currency"] = data["currency"].strip().upper()
        if not is_valid_currency(data["currency"]):
            _add(errors, "currency", _("Enter a three-letter currency code such as CNY."))
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end < start:
        _add(errors, "valid_until", _("The end date cannot be before the start date."))
    if data.get("tier") and data.get("segment"):
        _add(errors, "segment", _("A price list is for a customer tier or for a segment, not both."))
    if items is not None:
        seen = set()
        for index, (product, price) in enumerate(items):
            if product.pk in seen:
                _add(errors, f"items.{index}.product", _("This product is listed twice."))
            seen.add(product.pk)
            if price is None or Decimal(price) < 0:
                _add(errors, f"items.{index}.unit_price", _("Enter a price of zero or more."))
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        price_list = _save_setup(actor=actor, instance=instance or PriceList(), data=data)
        if items is not None:
            price_list.items.all().delete()
            PriceListItem.objects.bulk_create(
                [PriceListItem(price_list=price_list, product=p, unit_price=Decimal(u)) for p, u in items]
            )
    return price_list


def price_list_delete(*, actor, instance: PriceList) -> None:
    _delete_setup(actor=actor, instance=instance)


def volume_discount_save(*, actor, data: dict, instance: VolumeDiscount | None = None) -> VolumeDiscount:
    return _save_setup(actor=actor, instance=instance or VolumeDiscount(), data=data)


def volume_discount_delete(*, actor, instance: VolumeDiscount) -> None:
    _delete_setup(actor=actor, instance=instance)
