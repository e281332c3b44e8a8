"""Reads for companies and contacts beyond the generic lists."""

from __future__ import annotations

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.db import connections
from django.db.models import F, Q, QuerySet, Value

from crm.core.text import search_query

# Shorter queries would match almost anything by trigram similarity.
TYPO_MIN_LENGTH = 4
# A trigram index cannot serve a substring shorter than this; such a query (one or
# two letters or digits) matches at the start of a word instead, which it can.
SUBSTRING_MIN_LENGTH = 3


def records_search(queryset: QuerySet, value: str) -> QuerySet:
    """Companies or contacts matching a search box query, within ``queryset``.

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
    """
    query = search_query(value)
    if not query:
        return queryset
    if len(query) < SUBSTRING_MIN_LENGTH:
        matches = queryset.filter(Q(search_text__startswith=query) | Q(search_text__contains=" " + query))
    else:
        matches = queryset.filter(search_text__contains=query)
    if (
        len(query) >= TYPO_MIN_LENGTH
        and not query.isdigit()
        and connections[queryset.db].vendor == "postgresql"
        and not matches.exists()
    ):
        return queryset.filter(TrigramWordSimilar(F("search_text"), Value(query)))
    return matches
