"""Reads: the pairs a reviewer may see, and the on-save check of a new record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.text import clean_text, company_name_key, phone_to_e164
from crm.core.visibility import visible_to

from . import engine, scan
from .models import DuplicatePair, PairStatus

CHECK_LIMIT = 5
# Contacts of the same company read for the name comparison of the on-save check.
COMPANY_NAMES_LIMIT = 2000
# A name this similar within the same company is a likely duplicate on its own.
SIMILAR_NAME = 85

REASONS = {
    "same_name": gettext_lazy("Same name"),
    "similar_name": gettext_lazy("Similar name %(value)s"),
    "same_email": gettext_lazy("Same e-mail"),
    "similar_email": gettext_lazy("Similar e-mail"),
    "same_phone": gettext_lazy("Same phone"),
    "same_company": gettext_lazy("Same company"),
    "same_registration_number": gettext_lazy("Same registration number"),
    "same_website": gettext_lazy("Same website or e-mail domain"),
    "similar_address": gettext_lazy("Similar address"),
    "same_region": gettext_lazy("Same region"),
}


def reason_text(reason: dict) -> str:
    template = REASONS.get(reason.get("code"))
    if template is None:
        return str(reason.get("code", ""))
    text = str(template)
    return text % {"value": reason.get("value", "")} if "%(value)s" in text else text


def reasons_text(reasons: list[dict]) -> list[str]:
    return [reason_text(r) for r in reasons or []]


def kinds_visible_to(user) -> list[str]:
    """The record types whose pairs the user may review (needs the change permission)."""
    return [kind for kind in engine.KINDS if user.has_perm(f"contacts.change_{scan.model_for(kind)._meta.model_name}")]


def pairs_visible_to(user, *, kind: str | None = None, min_score: int | None = None, status: str = PairStatus.OPEN):
    """Pairs whose two records the user may both see (and that are not in the recycle
    bin), most likely first."""
    qs = DuplicatePair.objects.filter(status=status)
    kinds = kinds_visible_to(user)
    if kind:
        kinds = [k for k in kinds if k == kind]
    if not kinds:
        return DuplicatePair.objects.none()
    condition = Q()
    for k in kinds:
        visible = visible_to(user, scan.model_for(k))
        condition |= Q(
            Exists(visible.filter(pk=OuterRef("a_id"))),
            Exists(visible.filter(pk=OuterRef("b_id"))),
            kind=k,
        )
    qs = qs.filter(condition)
    if min_score is not None:
        qs = qs.filter(score__gte=min_score)
    return qs.order_by("-score", "id")


def pair_visible_or_none(user, pk) -> DuplicatePair | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    for status in PairStatus.values:
        pair = pairs_visible_to(user, status=status).filter(pk=pk).first()
        if pair is not None:
            return pair
    return None


def records_for_pairs(user, pairs: list[DuplicatePair]) -> dict[tuple[str, int], object]:
    """The records of the pairs, by (kind, id), in one query per kind."""
    found: dict[tuple[str, int], object] = {}
    for kind in engine.KINDS:
        ids = {pk for p in pairs if p.kind == kind for pk in (p.a_id, p.b_id)}
        if not ids:
            continue
        qs = visible_to(user, scan.model_for(kind)).filter(pk__in=ids).select_related("owner")
        if kind == engine.CONTACT:
            qs = qs.select_related("company")
        for record in qs:
            found[(kind, record.pk)] = record
    return found


# The on-save check -----------------------------------------------------------------
@dataclass
class Match:
    record: object
    score: int
    reasons: list[dict] = field(default_factory=list)

    @property
    def reason_texts(self) -> list[str]:
        return reasons_text(self.reasons)

    def as_dict(self) -> dict:
        return {
            "id": self.record.pk,
            "name": str(self.record),
            "url": self.record.get_absolute_url(),
            "score": self.score,
            "reasons": self.reason_texts,
            "reason_codes": [r["code"] for r in self.reasons],
        }


def _e164(value: str) -> str:
    value = clean_text(value or "")
    if not value:
        return ""
    try:
        return phone_to_e164(value)
    except ValueError:
        return value


def _values(data: dict, key: str) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    return [clean_text(v) for v in value if isinstance(v, str) and clean_text(v)]


def _pk(value):
    if value is None or value == "":
        return None
    return getattr(value, "pk", value)


def contact_matches(*, user, data: dict, exclude_pk=None, limit: int = CHECK_LIMIT) -> list[Match]:
    """Existing contacts (that the user may see) a new contact looks like: the same
    e-mail or phone (indexed lookups), or a very similar name in the same company.
    Hidden records are never mentioned."""
    from crm.contacts.models import Contact

    emails = [e.lower() for e in [data.get("email") or "", *_values(data, "emails")] if e]
    phones = [p for p in (_e164(x) for x in [data.get("phone") or "", *_values(data, "phones")]) if p]
    company_id = _pk(data.get("company"))
    name = clean_text(data.get("name") or "")
    if not (emails or phones or (company_id and name)):
        return []
    visible = visible_to(user, Contact)
    if exclude_pk:
        visible = visible.exclude(pk=exclude_pk)
    new = engine.contact_features(
        0, name, emails[0] if emails else "", phones[0] if phones else "", emails, phones, company_id
    )
    fields = scan.ROW_FIELDS[engine.CONTACT]
    rows: dict[int, tuple] = {}
    if emails:
        for row in visible.filter(email__in=emails).values_list(*fields)[:50]:
            rows[row[0]] = row
    if phones:
        for row in visible.filter(phone__in=phones).values_list(*fields)[:50]:
            rows[row[0]] = row
    if company_id and name:
        names = visible.filter(company_id=company_id).values_list("id", "name")[:COMPANY_NAMES_LIMIT]
        close = []
        for pk, other in names:
            if pk in rows:
                continue
            if engine.name_similarity(new, engine.contact_features(pk, other)) >= SIMILAR_NAME:
                close.append(pk)
        if close:
            for row in visible.filter(pk__in=close[:50]).values_list(*fields):
                rows[row[0]] = row
    return _ranked(engine.CONTACT, new, rows, Contact, user, limit)


def company_matches(*, user, data: dict, exclude_pk=None, limit: int = CHECK_LIMIT) -> list[Match]:
    """Existing companies a new company looks like: the same registration number,
    e-mail or phone, or the same name once legal forms are ignored."""
    from crm.contacts.models import Company

    name = clean_text(data.get("name") or "")
    code = clean_text(data.get("registration_number") or "").replace(" ", "").upper()
    email = clean_text(data.get("email") or "").lower()
    phone = _e164(data.get("phone") or "")
    key = engine.company_key(name)
    condition = Q()
    if code:
        condition |= Q(registration_number=code)
    if email:
        condition |= Q(email=email)
    if phone:
        condition |= Q(phone=phone)
    if name:
        condition |= Q(name=name)
    if not condition:
        return []
    visible = visible_to(user, Company)
    if exclude_pk:
        visible = visible.exclude(pk=exclude_pk)
    fields = scan.ROW_FIELDS[engine.COMPANY]
    rows = {row[0]: row for row in visible.filter(condition).values_list(*fields)[:50]}
    if key:
        # The same name with another legal form (华信科技 / 华信科技有限公司): the stored
        # search text holds the lower-cased name, served by its trigram index.
        from crm.core.text import search_query

        probe = search_query(_name_probe(name, key))
        if probe:
            for row in visible.filter(search_text__contains=probe).values_list(*fields)[:200]:
                if engine.company_key(row[1]) == key:
                    rows[row[0]] = row
    new = engine.company_features(
        0,
        name,
        code,
        email,
        phone,
        data.get("website") or "",
        data.get("region") or "",
        data.get("address") or "",
    )
    return _ranked(engine.COMPANY, new, rows, Company, user, limit)


def _name_probe(name: str, key: str) -> str:
    """The longest word of the name that is not a legal form, as the search text holds it."""
    words = [w for w in re.split(r"[\s,.()（）]+", clean_text(name).lower()) if company_name_key(w) == w and w]
    words = [w for w in words if len(w) > 1 and engine.company_key(f"x {w}") != "x"]
    return max(words, key=len) if words else key


def _ranked(kind, new, rows: dict[int, tuple], model, user, limit: int) -> list[Match]:
    if not rows:
        return []
    scored = []
    for pk, row in rows.items():
        score, reasons = engine.score_pair(kind, new, scan.features_of(kind, row))
        strong = {r["code"] for r in reasons} & {"same_email", "same_phone", "same_registration_number", "same_name"}
        similar = any(r["code"] == "similar_name" and r.get("value", 0) >= SIMILAR_NAME for r in reasons)
        if strong or similar or score >= engine.DEFAULT_MIN_SCORE:
            scored.append((score, pk, reasons))
    scored.sort(key=lambda s: (-s[0], s[1]))
    scored = scored[:limit]
    records = model.objects.in_bulk([pk for _, pk, _ in scored])
    return [Match(records[pk], score, reasons) for score, pk, reasons in scored if pk in records]


def matches_for(*, user, model, data: dict, exclude_pk=None, limit: int = CHECK_LIMIT) -> list[Match]:
    kind = {"contacts.contact": engine.CONTACT, "contacts.company": engine.COMPANY}.get(model._meta.label_lower)
    if kind == engine.CONTACT:
        return contact_matches(user=user, data=data, exclude_pk=exclude_pk, limit=limit)
    if kind == engine.COMPANY:
        return company_matches(user=user, data=data, exclude_pk=exclude_pk, limit=limit)
    return []


def duplicate_message(model) -> str:
    return _("This %(type)s looks like one that already exists. Check the matches, or save it anyway.") % {
        "type": model._meta.verbose_name
    }
