"""Turning a cell's text into a field value: dates, numbers, yes/no, choices.

Text, phones and e-mails are NOT cleaned here: they go through the same functions
the services use (crm.core.text and the domain services' own normalisation), so an
imported contact is stored exactly as one typed into the form.
"""

from __future__ import annotations

import datetime
import decimal
import re

from crm.core.text import clean_text, to_half_width

_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)
_THOUSANDS = re.compile(r"(?<=\d)[,\s'’_](?=\d{3}(?:\D|$))")
_TRUE = {"true", "yes", "y", "1", "on", "x", "是", "有", "对", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "off", "否", "无", "不", "×"}


class CellError(ValueError):
    """A cell that cannot become a value of its field; the message is for the user."""


def parse_date(text: str) -> datetime.date | None:
    """2026-01-31, 2026/1/31, 2026.1.31, 31.01.2026, 2026年1月31日, 20260131."""
    value = clean_text(text)
    if not value:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CellError(value)


def parse_decimal(text: str) -> decimal.Decimal | None:
    """1,234.50, 1 234.50, １２３４.５, ¥1,234 and 12% (as 12)."""
    value = to_half_width(text).strip().replace("¥", "").replace("￥", "").replace("$", "").rstrip("%").strip()
    if not value:
        return None
    value = _THOUSANDS.sub("", value)
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise CellError(text) from None
    if not number.is_finite():
        raise CellError(text)
    return number


def parse_int(text: str) -> int | None:
    number = parse_decimal(text)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(text)
    return int(number)


def parse_bool(text: str) -> bool | None:
    value = clean_text(text).lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(text)


def parse_choice(text: str, choices) -> str | None:
    """A choice by its stored value or its label in English or Chinese, case-insensitive."""
    from django.utils import translation

    value = clean_text(text)
    if not value:
        return None
    wanted = value.casefold()
    for stored, label in choices:
        if wanted == str(stored).casefold() or wanted == str(label).casefold():
            return stored
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for stored, label in choices:
                if wanted == str(label).casefold():
                    return stored
    raise CellError(value)
