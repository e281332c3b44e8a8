"""Reads for leads beyond the generic lists: conversion candidates, duplicates, the timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.text import clean_text, company_name_key, search_query
from crm.core.timeline import RelatedPanel, TimelineItem
from crm.core.visibility import visible_to

from .models import Lead

CANDIDATE_LIMIT = 8
PANEL_SIZE = 10


@dataclass
class Candidate:
    record: object
    reasons: list = field(default_factory=list)
    codes: list = field(default_factory=list)

    @property
    def pk(self):
        return self.record.pk


REASONS = {
    "registration_number": _("Same registration number"),
    "same_name": _("Same name"),
    "similar_name": _("Similar name"),
    "email": _("Same e-mail"),
    "phone": _("Same phone"),
    "matched": _("Matched when the lead came in"),
}
_RANK = {"registration_number": 0, "same_name": 1, "similar_name": 2}


def _add(found: dict, record, code: str) -> None:
    candidate = found.setdefault(record.pk, Candidate(record))
    if code not in candidate.codes:
        candidate.codes.append(code)
        candidate.reasons.append(REASONS[code])


_SUFFIX_WORDS = {"co", "company", "corp", "corporation", "inc", "ltd", "limited", "llc", "plc", "gmbh", "group"}
_SUFFIX_WORDS_ZH = ("股份有限公司", "有限责任公司", "有限公司", "公司", "集团")


def _name_probe(name: str) -> str:
    """The most telling word of a company name, as stored in search texts (lower-case)."""
    words = []
    for word in re.split(r"[\s,()（）]+", clean_text(name or "").lower()):
        word = word.strip(".")
        if not word or word in _SUFFIX_WORDS:
            continue
        for suffix in _SUFFIX_WORDS_ZH:
            if word.endswith(suffix) and len(word) > len(suffix):
                word = word[: -len(suffix)]
                break
        if word not in _SUFFIX_WORDS_ZH:
            words.append(word)
    # In the stored form (search_query writes Chinese characters as their code points).
    return search_query(max(words, key=len)) if words else ""


def company_candidates(*, lead: Lead, user, registration_number: str = "") -> list[Candidate]:
    """Companies the user may see that the lead's company may be: the same registration
    number (when given), or the same name once legal forms (有限公司, Co., Ltd.) and
    punctuation are ignored, or a name containing it."""
    from crm.contacts.models import Company

    visible = visible_to(user, Company)
    found: dict[int, Candidate] = {}
    code = clean_text(registration_number or "").replace(" ", "").upper()
    if code:
        for company in visible.filter(registration_number=code)[:CANDIDATE_LIMIT]:
            _add(found, company, "registration_number")
    key = company_name_key(lead.company_name)
    if key:
        # The search text holds the lower-cased name; the key is a part of it (as
        # long as the name has no inner punctuation), served by the trigram index.
        probe = _name_probe(lead.company_name) or search_query(key)
        for company in visible.filter(search_text__contains=probe).order_by("name", "pk")[: CANDIDATE_LIMIT * 3]:
            other = company_name_key(company.name)
            if other == key:
                _add(found, company, "same_name")
            elif key in other or other in key:
                _add(found, company, "similar_name")
    # Exact matches (code, then name) before similar names.
    ranked = sorted(found.values(), key=lambda c: min(_RANK.get(code, 9) for code in c.codes))
    return ranked[:CANDIDATE_LIMIT]


def contact_candidates(*, lead: Lead, user) -> list[Candidate]:
    """Contacts the user may see with the lead's e-mail, phone or name."""
    from crm.contacts.models import Contact

    visible = visible_to(user, Contact).select_related("company")
    found: dict[int, Candidate] = {}
    if lead.email:
        for contact in visible.filter(Q(email=lead.email))[:CANDIDATE_LIMIT]:
            _add(found, contact, "email")
    if lead.phone:
        digits = lead.phone.lstrip("+")
        for contact in visible.filter(search_text__contains=digits, phone=lead.phone)[:CANDIDATE_LIMIT]:
            _add(found, contact, "phone")
    if lead.matched_contact_id:
        contact = visible.filter(pk=lead.matched_contact_id).first()
        if contact is not None:
            _add(found, contact, "matched")
    if lead.name:
        for contact in visible.filter(name=lead.name)[:CANDIDATE_LIMIT]:
            _add(found, contact, "same_name")
    return list(found.values())[:CANDIDATE_LIMIT]


def duplicates_panel(lead: Lead, user) -> RelatedPanel | None:
    qs = visible_to(user, Lead).filter(duplicate_of=lead).order_by("-created_at", "pk")
    records = list(qs[: PANEL_SIZE + 1])
    if not records:
        return None
    total = len(records) if len(records) <= PANEL_SIZE else qs.count()
    return RelatedPanel(_("Repeated submissions"), records[:PANEL_SIZE], total)


def duplicates_timeline(record, user, limit: int) -> list[TimelineItem]:
    """A repeated web form submission shows on the first lead's timeline as a note."""
    rows = (
        visible_to(user, Lead)
        .filter(duplicate_of=record)
        .select_related("web_form")
        .order_by("-created_at", "pk")[:limit]
    )
    items = []
    for dup in rows:
        changes = [
            {"field": Lead._meta.get_field(name).verbose_name, "old": None, "new": getattr(dup, name)}
            for name in ("name", "company_name", "email", "phone", "description")
            if getattr(dup, name)
        ]
        title = (
            _("Submitted again through the web form “%(form)s”") % {"form": dup.web_form.name}
            if dup.web_form_id
            else _("Submitted again")
        )
        items.append(
            TimelineItem(
                when=dup.created_at, kind="lead.duplicate", title=title, url=dup.get_absolute_url(), changes=changes
            )
        )
    return items


def _converted_panel(queryset, user):
    qs = visible_to(user, queryset).order_by("-converted_at", "-pk")
    records = list(qs[: PANEL_SIZE + 1])
    if not records:
        return None
    total = len(records) if len(records) <= PANEL_SIZE else qs.count()
    return RelatedPanel(_("Leads it came from"), records[:PANEL_SIZE], total)


def contact_source_leads(contact, user) -> RelatedPanel | None:
    """On a contact's page: the leads converted into them, and web submissions matched to them."""
    return _converted_panel(Lead.objects.filter(Q(converted_contact=contact) | Q(matched_contact=contact)), user)
