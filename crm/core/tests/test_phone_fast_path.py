"""The fast path for mainland mobile numbers gives exactly what phonenumbers' parsing gives."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.core.text import _cn_mobile_e164, _parsed_e164, phone_to_e164


def parsed(text: str, region: str = "CN") -> str | None:
    try:
        return _parsed_e164(text, region)
    except ValueError:
        return None


def fast(text: str) -> str | None:
    try:
        return _cn_mobile_e164(text)
    except ValueError:
        return "invalid"


@pytest.mark.parametrize("prefix", [f"1{d}{e}" for d in range(10) for e in range(10)])
def test_every_prefix_agrees_with_parsing(prefix):
    for tail in ("00000000", "12345678", "99999999", "00138000", "50000001"):
        digits = prefix + tail
        for text in (
            digits,
            f"+86{digits}",
            f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}",
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        ):
            result = fast(text)
            if result is None:
                continue  # not taken by the fast path: parsed as before
            assert result == (parsed(text) or "invalid"), text


@settings(max_examples=400, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11).map(lambda d: "1" + d[1:]),
    plus=st.booleans(),
    separators=st.lists(st.sampled_from(["", " ", "-"]), min_size=10, max_size=10),
)
def test_random_numbers_and_formats_agree_with_parsing(digits, plus, separators):
    text = digits[0] + "".join(sep + ch for sep, ch in zip(separators, digits[1:], strict=True))
    if plus:
        text = "+86 " + text
    result = fast(text)
    if result is not None:
        assert result == (parsed(text) or "invalid")
    # and phone_to_e164 as a whole still gives what parsing gives
    try:
        whole = phone_to_e164(text)
    except ValueError:
        whole = None
    assert whole == parsed(text)


def test_other_texts_are_left_to_parsing():
    for text in (
        "17951 13800138000",
        "010-6552 9988",
        "8613800138000",
        "+1 650 253 0000",
        "١٣٨٠٠١٣٨٠٠٠",
        "12593 1380013800",
    ):
        assert _cn_mobile_e164(text) is None
    assert phone_to_e164("+86 138-0013-8000") == "+8613800138000"
    assert phone_to_e164("１３８００１３８０００") == "+8613800138000"
    assert phone_to_e164("0086 13800138000") == "+8613800138000"
    with pytest.raises(ValueError):
        phone_to_e164("140 0000 0000")  # the format of a mobile number, not a valid one
    assert phonenumbers.is_valid_number(phonenumbers.parse("+8613800138000"))
