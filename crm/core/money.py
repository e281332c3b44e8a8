"""Money: how many decimals a currency has and the one rounding rule every amount follows.

Amounts are ``decimal.Decimal``, never floats. An amount is rounded to its currency's
precision (ISO 4217 minor units: CNY 2, JPY 0, KWD 3) half-up, ``ROUND_HALF_UP``
(2.345 CNY -> 2.35, -2.345 -> -2.35). Documents round **per line** and add the rounded
lines, so a total is always the sum of what the lines show. Money columns are
``MoneyField`` (4 decimal places, room for three-decimal currencies and unit prices).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

# ISO 4217 minor units of the currencies that differ from 2, and the common ones that do not.
_DIGITS = {
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
COMMON_CURRENCIES = ("CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD", "KRW", "TWD", "AUD", "CAD", "CHF")
ZERO = Decimal("0")
MONEY_DECIMAL_PLACES = 4
MONEY_MAX_DIGITS = 20


def currency_digits(currency: str) -> int:
    """Minor units of ``currency`` (an ISO 4217 code); 2 when the code is not listed."""
    return _DIGITS.get((currency or "").upper(), 2)


def currency_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_digits(currency))


def money_round(amount, currency: str) -> Decimal:
    """``amount`` rounded half-up to the precision of ``currency``."""
    return Decimal(amount).quantize(currency_quantum(currency), rounding=ROUND_HALF_UP)


def is_valid_currency(code) -> bool:
    return isinstance(code, str) and len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


class MoneyField(models.DecimalField):
    """A decimal column wide enough for any amount in any currency."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def line_amounts(*, quantity, unit_price, discount_percent, tax_rate, currency: str) -> dict[str, Decimal]:
    """The amounts of one document line (quote or order), each rounded to the currency:

    gross = quantity x unit price; discount = gross x discount % ; net = gross - discount;
    tax = net x tax rate % ; total = net + tax. Prices are before tax. Every step is
    rounded half-up to the currency's precision, so the line shows exactly the cents it
    adds to the document, and a document's totals are the sums of its lines' amounts."""
    gross = money_round(Decimal(quantity) * Decimal(unit_price), currency)
    discount = money_round(gross * Decimal(discount_percent) / 100, currency)
    net = gross - discount
    tax = money_round(net * Decimal(tax_rate) / 100, currency)
    return {"gross": gross, "discount": discount, "net": net, "tax": tax, "total": net + tax}


def document_totals(lines, *, currency: str) -> dict[str, Decimal]:
    """Sums of ``line_amounts`` results: gross, discount, net, tax and total."""
    quantum = currency_quantum(currency)
    totals = {key: ZERO.quantize(quantum) for key in ("gross", "discount", "net", "tax", "total")}
    for amounts in lines:
        for key in totals:
            totals[key] += amounts[key]
    return totals
