"""Reads for companies and contacts beyond the generic lists."""

from __future__ import annotations

from crm.core.search import search_text_matches

# Companies and contacts keep a search_text (crm/contacts/text.py); the matching is shared.
records_search = search_text_matches
