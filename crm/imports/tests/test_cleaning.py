import datetime
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.imports.cleaning import CellError, parse_bool, parse_date, parse_decimal, parse_int


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31",
        "2026/1/31",
        "2026.1.31",
        "31.01.2026",
        "2026年1月31日",
        "20260131",
        " ２０２６-０１-３１ ",
        "2026-01-31 10:00",
    ],
)
def test_dates_in_common_formats(text):
    assert parse_date(text) == datetime.date(2026, 1, 31)


@pytest.mark.parametrize("text", ["2026-02-30", "31/01/2026", "next week", "2026-13-01"])
def test_bad_dates(text):
    with pytest.raises(CellError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.50", "1234.50"),
        ("1 234 567", "1234567"),
        ("１２３４.５", "1234.5"),
        ("¥1,000", "1000"),
        ("-3", "-3"),
        ("12%", "12"),
    ],
)
def test_numbers(text, value):
    assert parse_decimal(text) == decimal.Decimal(value)


def test_bad_numbers():
    for text in ("12abc", "NaN", "1.2.3"):
        with pytest.raises(CellError):
            parse_decimal(text)
    with pytest.raises(CellError):
        parse_int("1.5")
    assert parse_int("1,000") == 1000


def test_yes_and_no_in_both_languages():
    assert (
        parse_bool("是") is True
        and parse_bool("Yes") is True
        and parse_bool("否") is False
        and parse_bool("0") is False
    )
    with pytest.raises(CellError):
        parse_bool("maybe")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_thousands_separators_round_trip(number):
    assert parse_decimal(f"{number:,}") == number
