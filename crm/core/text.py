"""Text rules for people and company data: full-width to half-width, phones, credit codes,
pinyin and the search text.

Pure functions with no database access, shared by every app's services, the search, imports
and the demo data generator, so every path stores and searches the same forms.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from pypinyin import Style, lazy_pinyin

DEFAULT_PHONE_REGION = "CN"

# Full-width forms of the printable ASCII characters (！ to ～) sit at a fixed offset;
# the ideographic space is the full-width space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")


def to_half_width(value: str) -> str:
    return value.translate(_FULL_WIDTH)


def clean_text(value: str) -> str:
    """Half-width characters and single spaces, trimmed."""
    return " ".join(to_half_width(value).split())


# Unified social credit code (GB 32100-2015) ----------------------------------------
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, from the first 17."""
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def looks_like_uscc(value: str) -> bool:
    return len(value) == 18 and all(ch in USCC_ALPHABET for ch in value)


def uscc_is_valid(value: str) -> bool:
    return looks_like_uscc(value) and uscc_check_char(value[:17]) == value[17]


# Phones ---------------------------------------------------------------------------
# A mainland mobile number as people write it: 11 digits, maybe after +86, with spaces
# or dashes between the groups. phonenumbers.parse reads every such text as country
# code 86 and those 11 digits: none starts with a carrier-selection prefix (11x, 12x,
# 179), the only national prefixes parsing strips before a 1, and none starts with 86
# or 00. So the number is built directly and only its validity is asked of phonenumbers,
# which skips the parsing (two thirds of the time of an import's row). A test compares
# both ways on every prefix and format.
_CN_MOBILE = re.compile(r"(?:\+86[ -]?)?(1(?:[3-68-9][0-9]|7[0-8])(?:[ -]?[0-9]){8})")


def _cn_mobile_e164(text: str) -> str | None:
    """The E.164 form of a mainland mobile number in the common format; None when the
    text is not in that format (it is then parsed), ValueError when it is not valid."""
    match = _CN_MOBILE.fullmatch(text)
    if match is None:
        return None
    national = match.group(1).replace(" ", "").replace("-", "")
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    if not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    return "+86" + national


def phone_to_e164(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The number in E.164 (+8613800138000). Raises ValueError when it is not a valid number."""
    text = to_half_width(value).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if region == "CN" or text.startswith("+86"):
        fast = _cn_mobile_e164(text)
        if fast is not None:
            return fast
    return _parsed_e164(text, region)


def _parsed_e164(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_forms(e164: str) -> list[str]:
    """Digit strings a user may type for a stored number: with the country code, the
    national number, and the national number with its trunk prefix (010… for a
    Beijing landline). Chinese numbers take a fast path without parsing, which keeps
    the demo data generator quick."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if not digits:
        return []
    if e164.startswith("+86"):
        national = digits[2:]
        forms = [digits, national]
        is_mobile = len(national) == 11 and national[0] == "1" and national[1] in "3456789"
        if not is_mobile:
            forms.append("0" + national)
        return forms
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [digits]
    national = phonenumbers.national_significant_number(number)
    national_dialled = "".join(
        ch for ch in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit()
    )
    return list(dict.fromkeys([digits, national, national_dialled]))


# Pinyin ---------------------------------------------------------------------------
@lru_cache(maxsize=100_000)
def _pinyin_of_run(run: str) -> tuple[str, str, str]:
    syllables = lazy_pinyin(run, style=Style.NORMAL, errors="ignore")
    initials = "".join(s[0] for s in syllables if s)
    return "".join(syllables), " ".join(syllables), initials


def pinyin_forms(text: str) -> list[str]:
    """张伟 -> ["zhangwei", "zhang wei", "zw"]; nothing for text without Chinese."""
    runs = _CJK_RUN.findall(text)
    if not runs:
        return []
    parts = [_pinyin_of_run(run) for run in runs]
    joined = "".join(p[0] for p in parts)
    spaced = " ".join(p[1] for p in parts)
    initials = "".join(p[2] for p in parts)
    return list(dict.fromkeys(form for form in (joined, spaced, initials) if form))


# Search text ----------------------------------------------------------------------
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def cjk_search_form(text: str) -> str:
    """Each Chinese character as "u" and its code point in four hex digits (王 -> u738b).

    A trigram index cannot serve a query shorter than three characters, and most
    Chinese names are two or three; written this way, 王芳 is the ten characters
    "u738bu82b3", which the index finds exactly (a match can only start at a "u",
    which no hex digit is). The stored search text and the query both take this form."""
    return _CJK_CHAR.sub(lambda m: f"u{ord(m.group()):04x}", text)


def build_search_text(
    *, names: list[str] = (), emails: list[str] = (), phones: list[str] = (), others: list[str] = ()
) -> str:
    """One lower-cased line holding every form a user may search a record by."""
    # Each distinct lower-cased piece once, in order, with its stored (CJK-escaped) form.
    pieces: dict[str, str | None] = {}
    for name in names:
        if name:
            for plain, stored in _name_pieces(name):
                pieces.setdefault(plain, stored)
    others = [
        *(e for e in emails if e),
        *(form for phone in phones if phone for form in phone_search_forms(phone)),
        *(clean_text(o) for o in others if o),
    ]
    for piece in others:
        if piece:
            pieces.setdefault(piece.lower(), None)
    return " ".join(cjk_search_form(plain) if stored is None else stored for plain, stored in pieces.items())


@lru_cache(maxsize=100_000)
def _name_pieces(name: str) -> tuple[tuple[str, str], ...]:
    """A name's searchable forms (itself and its pinyin), lower-cased, each with its
    CJK-escaped form: names repeat (surnames, titles), so an import computes each once."""
    forms = (clean_text(name), *pinyin_forms(name))
    return tuple((form.lower(), cjk_search_form(form.lower())) for form in forms if form)


def search_query(value: str) -> str:
    """The query in the stored form: half-width, lower-case, single spaces; input that
    looks like a phone number reduced to its digits (without a 00 international prefix)."""
    text = clean_text(value or "").lower()
    if _PHONE_LIKE.match(text) and sum(ch.isdigit() for ch in text) >= 3:
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits.startswith("00") and len(digits) >= 12:
            digits = digits[2:]
        return digits
    return cjk_search_form(text)


# Company names --------------------------------------------------------------------
# Legal forms a company name may end in (longest first, so 股份有限公司 goes before 有限公司).
_LEGAL_SUFFIXES_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "公司",
    "集团",
)
_LEGAL_SUFFIXES_LATIN = re.compile(
    r"(?:[\s,.]+(?:co|company|corp|corporation|inc|incorporated|ltd|limited|llc|plc|gmbh|ag|sa|bv|"
    r"group|holdings?|pte|pty|kk)\b\.?)+$"
)
_NAME_NOISE = re.compile(r"[\s()（）\[\]【】.,，、·&'\"-]+")


def company_name_key(value: str) -> str:
    """A company name reduced to what tells companies apart, for matching duplicates:
    half-width, lower-case, legal forms such as 有限公司 or "Co., Ltd." dropped from the
    end, punctuation and spaces removed. "华信科技有限公司" and "华信科技" share a key, as do
    "Acme Robotics Co., Ltd." and "ACME robotics"."""
    text = clean_text(value or "").lower()
    previous = None
    while text != previous:
        previous = text
        text = _LEGAL_SUFFIXES_LATIN.sub("", text).strip(" ,.")
        for suffix in _LEGAL_SUFFIXES_ZH:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip(" ,.")
                break
    return _NAME_NOISE.sub("", text)
