from decimal import Decimal

from django import template

from crm.core.money import currency_digits, money_round

register = template.Library()


@register.filter
def money(value, currency: str) -> str:
    """An amount with its currency's decimals and thousands separators (1,234.50)."""
    if value in (None, ""):
        return ""
    digits = currency_digits(currency)
    return f"{money_round(value, currency):,.{digits}f}"


@register.filter
def price(value) -> str:
    """A unit price: at least two decimals, up to four when it has them."""
    if value in (None, ""):
        return ""
    value = Decimal(value)
    text = f"{value:,.4f}".rstrip("0")
    whole, _dot, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


@register.filter
def qty(value) -> str:
    if value in (None, ""):
        return ""
    value = Decimal(value).normalize()
    return f"{value:,f}"
