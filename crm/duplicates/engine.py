"""The matching rules: what a record is compared by, which records are compared at
all (blocking keys), and the score of a pair. Pure functions, no database access,
so the scan, the command, the on-save check and the tests use the same rules.

A record is first reduced to its *features* (``contact_features`` /
``company_features``): names in a Latin form (hanzi written as pinyin, so 张伟 and
"Zhang Wei" compare equal), e-mails lower-cased, phones as national digits, the
company name without its legal form. Records are only compared when they share a
*blocking key* (the same e-mail, the same phone, the same name in the same
company…), so a scan never compares all pairs. A pair's score (0-100) is a weighted
name similarity (60 points) plus evidence: the same e-mail or phone adds, a
conflicting registration number takes away. The reasons say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from crm.core.text import _pinyin_of_run, clean_text, company_name_key

CONTACT = "contact"
COMPANY = "company"
KINDS = (COMPANY, CONTACT)

DEFAULT_MIN_SCORE = 80
# A block larger than this is a common value (a switchboard number, info@…, a
# frequent name in a big company): comparing all its pairs costs n² and finds noise.
MAX_BLOCK = 60

# Free mail providers: the same domain there says nothing about being the same person
# or company.
FREE_MAIL = frozenset(
    [
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sina.cn",
        "sohu.com",
        "yeah.net",
        "foxmail.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
    ]
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NON_DIGIT = re.compile(r"[^0-9]+")


# Features ------------------------------------------------------------------------
def latin_tokens(name: str) -> tuple[bool, str, list[str]]:
    """(has hanzi, cleaned lower-case name, Latin tokens). Hanzi become pinyin
    syllables: 张伟 -> ["zhang", "wei"]; "Zhang  WEI" -> ["zhang", "wei"]."""
    text = clean_text(name or "").lower()
    has_cjk = False
    tokens: list[str] = []
    pos = 0
    for match in _CJK.finditer(text):
        has_cjk = True
        tokens.extend(_WORD.findall(text[pos : match.start()]))
        tokens.extend(_pinyin_of_run(match.group())[1].split())
        pos = match.end()
    tokens.extend(_WORD.findall(text[pos:]))
    return has_cjk, text, tokens


def phone_key(value: str) -> str:
    """A phone as national digits: "+86 138-0013-8000", "008613800138000" and
    "13800138000" give "13800138000"; "+86 10 6552 9988" and "010 6552 9988" give
    "1065529988". Non-Chinese numbers keep their country code."""
    if not value:
        return ""
    if value.startswith("+86") and value[1:].isdigit():
        return value[3:].lstrip("0")  # the stored form (E.164), the common case
    text = value.strip()
    digits = _NON_DIGIT.sub("", text)
    international = text.startswith(("+", "＋"))
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if not digits.startswith("86"):
            return digits  # another country: keep its code
        digits = digits[2:]
    elif digits.startswith("86") and len(digits) >= 12:
        digits = digits[2:]
    return digits.lstrip("0")


def email_key(value: str) -> str:
    if not value:
        return ""
    if value.isascii() and " " not in value:
        return value.lower()
    return clean_text(value).lower()


def domain_of(email: str) -> str:
    return email.rpartition("@")[2] if "@" in email else ""


def website_domain(url: str) -> str:
    text = clean_text(url or "").lower()
    if not text:
        return ""
    if "//" not in text:
        text = "//" + text
    host = urlsplit(text).hostname or ""
    return host.removeprefix("www.")


@dataclass(slots=True)
class Features:
    pk: int
    name: str  # cleaned, lower-case
    cjk: bool
    latin: str  # tokens joined by spaces, pinyin for hanzi
    name_keys: tuple[str, ...]  # sorted tokens joined, tokens joined as written
    initials: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company_id: int | None = None
    # Companies
    name_key: str = ""
    registration_number: str = ""
    website: str = ""
    region: str = ""
    address: str = ""


@lru_cache(maxsize=200_000)
def _name_parts(name: str):
    # Names repeat a lot (张伟, 王芳…): computed once per distinct name.
    cjk, text, tokens = latin_tokens(name)
    joined = "".join(tokens)
    keys = tuple(dict.fromkeys(k for k in ("".join(sorted(tokens)), joined) if k))
    initials = "".join(sorted(t[0] for t in tokens if t))
    return text, cjk, " ".join(tokens), keys, initials


def contact_features(pk, name, email="", phone="", emails=(), phones=(), company_id=None) -> Features:
    text, cjk, latin, keys, initials = _name_parts(name)
    if emails:
        mails = tuple(dict.fromkeys(e for e in (email_key(x) for x in (email, *emails)) if e))
    else:
        mails = (email_key(email),) if email else ()
    if phones:
        tels = tuple(dict.fromkeys(p for p in (phone_key(x) for x in (phone, *phones)) if p))
    else:
        tel = phone_key(phone) if phone else ""
        tels = (tel,) if tel else ()
    return Features(
        pk=pk,
        name=text,
        cjk=cjk,
        latin=latin,
        name_keys=keys,
        initials=initials,
        emails=mails,
        phones=tels,
        company_id=company_id,
    )


_CITY_WORD = re.compile(r"^([\u4e00-\u9fff]{2})[市省]")


def company_key(name: str) -> str:
    """``company_name_key`` without the 市 or 省 of a leading place name: 北京市华信科技
    and 北京华信科技有限公司 are one company."""
    return _CITY_WORD.sub(r"\1", company_name_key(name))


def company_features(
    pk, name, registration_number="", email="", phone="", website="", region="", address=""
) -> Features:
    key = company_key(name)
    text, cjk, latin, keys, initials = _name_parts(key or name)
    mail = email_key(email)
    tel = phone_key(phone)
    return Features(
        pk=pk,
        name=text,
        cjk=cjk,
        latin=latin,
        name_keys=keys,
        initials=initials,
        emails=(mail,) if mail else (),
        phones=(tel,) if tel else (),
        name_key=key,
        registration_number=clean_text(registration_number or "").replace(" ", "").upper(),
        website=website_domain(website),
        region=clean_text(region or "").lower(),
        address=clean_text(address or "").lower(),
    )


# Blocking ------------------------------------------------------------------------
def contact_keys(f: Features) -> set[str]:
    """The blocks a contact falls in. Two contacts are compared only when they share one."""
    keys = {f"e:{e}" for e in f.emails} | {f"p:{p}" for p in f.phones}
    for e in f.emails:
        local, _, domain = e.partition("@")
        if len(local) >= 4:
            keys.add(f"l:{local}")  # the same mailbox name at another provider, or a typo in the domain
        if domain and domain not in FREE_MAIL and f.name_keys:
            keys.add(f"d:{domain}:{f.name_keys[0][:3]}")  # colleagues' domain and the start of the name
    if f.company_id:
        for key in f.name_keys:
            keys.add(f"n:{f.company_id}:{key}")
        if f.initials:
            keys.add(f"i:{f.company_id}:{f.initials}")  # a typo keeps the initials
    return keys


def company_keys(f: Features) -> set[str]:
    keys = {f"e:{e}" for e in f.emails} | {f"p:{p}" for p in f.phones}
    if f.registration_number:
        keys.add(f"r:{f.registration_number}")
    if f.website:
        keys.add(f"w:{f.website}")
    for e in f.emails:
        domain = domain_of(e)
        if domain and domain not in FREE_MAIL:
            keys.add(f"w:{domain}")
    if f.name_key:
        keys.add(f"n:{f.name_key}")
        for key in f.name_keys:
            keys.add(f"n:{key}")
        if len(f.name_key) >= 4:
            # A typo in the middle keeps the start and the end.
            keys.add(f"s:{f.name_key[:2]}{f.name_key[-2:]}:{len(f.name_key) // 3}")
            keys.add(f"s:{f.name_key[:4]}")
    return keys


KEYS = {CONTACT: contact_keys, COMPANY: company_keys}


# Scoring -------------------------------------------------------------------------
def name_similarity(a: Features, b: Features) -> int:
    """0-100. Hanzi against hanzi compares the characters (张伟 and 张玮 are different
    people) and, a little lower, their pinyin (a homophone typo); anything else
    compares the Latin forms with the words in any order (swapped first and last
    name), also with the spaces removed ("Zhangwei")."""
    if not a.latin or not b.latin:
        return 0
    latin = fuzz.token_sort_ratio(a.latin, b.latin)
    if latin < 100:
        for x in a.name_keys:
            for y in b.name_keys:
                latin = max(latin, Indel.normalized_similarity(x, y) * 100)
    if a.cjk and b.cjk:
        return round(max(fuzz.ratio(a.name, b.name), latin - 15))
    return round(latin)


def _overlap(x: tuple, y: tuple) -> bool:
    return bool(x and y and not set(x).isdisjoint(y))


def _conflict(x: tuple, y: tuple) -> bool:
    return bool(x and y and set(x).isdisjoint(y))


def _local_similar(a: Features, b: Features) -> bool:
    for x in a.emails:
        for y in b.emails:
            lx, ly = x.partition("@")[0], y.partition("@")[0]
            if len(lx) >= 4 and fuzz.ratio(lx, ly) >= 90:
                return True
    return False


def score_contacts(a: Features, b: Features, name_sim: int | None = None) -> tuple[int, list[dict]]:
    sim = name_similarity(a, b) if name_sim is None else name_sim
    score = 0.6 * sim
    reasons: list[dict] = []
    if sim >= 100:
        reasons.append({"code": "same_name"})
    elif sim >= 70:
        reasons.append({"code": "similar_name", "value": sim})
    if _overlap(a.emails, b.emails):
        score += 35
        reasons.append({"code": "same_email"})
    elif _local_similar(a, b):
        score += 15
        reasons.append({"code": "similar_email"})
    elif _conflict(a.emails, b.emails):
        score -= 10
    if _overlap(a.phones, b.phones):
        score += 35
        reasons.append({"code": "same_phone"})
    elif _conflict(a.phones, b.phones):
        score -= 10
    if a.company_id and b.company_id:
        if a.company_id == b.company_id:
            score += 20
            reasons.append({"code": "same_company"})
        else:
            score -= 10
    return max(0, min(100, round(score))), reasons


def score_companies(a: Features, b: Features, name_sim: int | None = None) -> tuple[int, list[dict]]:
    sim = name_similarity(a, b) if name_sim is None else name_sim
    score = 0.6 * sim
    reasons: list[dict] = []
    if a.name_key and a.name_key == b.name_key:
        score += 25
        reasons.append({"code": "same_name"})
    elif sim >= 70:
        reasons.append({"code": "similar_name", "value": sim})
    if a.registration_number and b.registration_number:
        if a.registration_number == b.registration_number:
            score += 45
            reasons.append({"code": "same_registration_number"})
        else:
            score -= 40
    if _overlap(a.emails, b.emails):
        score += 30
        reasons.append({"code": "same_email"})
    if _overlap(a.phones, b.phones):
        score += 30
        reasons.append({"code": "same_phone"})
    domains_a = {a.website} | {domain_of(e) for e in a.emails if domain_of(e) not in FREE_MAIL}
    domains_b = {b.website} | {domain_of(e) for e in b.emails if domain_of(e) not in FREE_MAIL}
    if (domains_a & domains_b) - {""}:
        score += 25
        reasons.append({"code": "same_website"})
    if a.address and b.address and fuzz.token_set_ratio(a.address, b.address) >= 85:
        score += 10
        reasons.append({"code": "similar_address"})
    if a.region and b.region:
        if a.region == b.region:
            score += 5
            reasons.append({"code": "same_region"})
        elif fuzz.ratio(a.region, b.region) < 60:
            score -= 10
    return max(0, min(100, round(score))), reasons


SCORERS = {CONTACT: score_contacts, COMPANY: score_companies}


def score_pair(kind: str, a: Features, b: Features) -> tuple[int, list[dict]]:
    return SCORERS[kind](a, b)
