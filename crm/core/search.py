"""Matching a search box query against a record type's stored search text."""

from __future__ import annotations

import re

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import StrIndex

from .text import search_query

# Shorter queries would match almost anything by trigram similarity.
TYPO_MIN_LENGTH = 4
# A trigram index cannot serve a substring shorter than this; such a query (one or
# two letters or digits) matches at the start of a word instead, which it can.
SUBSTRING_MIN_LENGTH = 3


def search_text_matches(queryset: QuerySet, value: str, *, typos: bool = True) -> QuerySet:
    """The records of ``queryset`` whose stored ``search_text`` matches a search box query.

    Any record type that keeps a ``search_text`` built with ``build_search_text``
    (companies, contacts, leads) searches through this one function.

    The query is brought into the form of ``search_text`` (lower-case, half-width,
    a phone number as digits) and matched as a substring; ``search_text`` is stored
    lower-cased, so this is a case-insensitive match that PostgreSQL answers from
    the trigram index. When nothing matches, PostgreSQL retries with trigram word
    similarity, which forgives a typo ("zhangwie" finds 张伟). SQLite has no such
    fallback: there a query must be a substring of the name, its pinyin (full,
    spaced or initials), an e-mail, a phone number or the registration number.
    On both, a query of one or two letters or digits matches the start of a word
    ("zw" finds 张伟 by its initials, "li" finds Li Lei but not Emily): a trigram
    index cannot serve a shorter substring, and it can serve a word start.

    ``queryset`` is already restricted to what the user may see (``visible_to``).
    ``typos=False`` skips the similarity retry, which reads many rows: search as you
    type does, and the full search page and the lists do not.
    """
    query = search_query(value)
    if not query:
        return queryset
    local, at, _domain = query.partition("@")
    postgresql = connections[queryset.db].vendor == "postgresql"
    if len(query) < SUBSTRING_MIN_LENGTH and postgresql:
        # One trigram index scan for the word start (two LIKEs would read it twice).
        matches = queryset.filter(search_text__regex=r"(^| )" + re.escape(query))
    elif len(query) < SUBSTRING_MIN_LENGTH:
        matches = queryset.filter(Q(search_text__startswith=query) | Q(search_text__contains=" " + query))
    elif at and len(local) >= SUBSTRING_MIN_LENGTH:
        # An e-mail address: the index looks up the part before the @ (the domain's
        # trigrams are in half the rows and cost more than they narrow), the whole
        # address is then checked on those rows.
        matches = (
            queryset.filter(search_text__contains=local + at)
            .alias(at_position=StrIndex("search_text", Value(query)))
            .filter(at_position__gt=0)
        )
    else:
        matches = queryset.filter(search_text__contains=query)
    if typos and len(query) >= TYPO_MIN_LENGTH and not query.isdigit() and postgresql and not matches.exists():
        return queryset.filter(TrigramWordSimilar(F("search_text"), Value(query)))
    return matches


def document_number_matches(queryset: QuerySet, value: str, *, typos: bool = True) -> QuerySet:
    """Documents (quotes, orders) for the top-bar search: by their number, typed in any
    case (``so-2026-000123``, read from the number's own index), or by a part of their
    title (on PostgreSQL a trigram index on ``UPPER(title)`` serves that ``icontains``)."""
    value = (value or "").strip()
    number = "".join(value.split()).upper()
    matches = Q(title__icontains=value)
    if number and any(ch.isdigit() for ch in number):
        matches |= Q(number=number)
    return queryset.filter(matches)
