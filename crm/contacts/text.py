"""The search text of companies and contacts, built with the shared rules in crm.core.text."""

from __future__ import annotations

from crm.core.text import build_search_text


def company_search_text(*, name: str, registration_number: str = "", email: str = "", phone: str = "") -> str:
    return build_search_text(names=[name], emails=[email], phones=[phone], others=[registration_number])


def contact_search_text(*, name: str, title: str = "", email: str = "", emails=(), phone: str = "", phones=()) -> str:
    return build_search_text(names=[name, title], emails=[email, *(emails or [])], phones=[phone, *(phones or [])])
