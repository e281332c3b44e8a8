"""The quote PDF: an HTML template rendered by WeasyPrint, in the quote's language.

Nothing is fetched from the network or the file system while rendering: the logo is read
from the media storage and inlined as a ``data:`` URI, and the fetcher refuses every
other scheme. Chinese text needs a CJK font installed on the host (Debian:
``fonts-noto-cjk``; ``scripts/system-deps.sh pdf``), found through fontconfig.
"""

from __future__ import annotations

import base64
import logging

from django.template.loader import render_to_string
from django.utils import translation

from .models import Quote, QuoteSettings

logger = logging.getLogger(__name__)
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


def _logo_data_uri(settings_row: QuoteSettings) -> str:
    if not settings_row.logo:
        return ""
    name = settings_row.logo.name
    mimetype = LOGO_TYPES.get(name.rsplit(".", 1)[-1].lower())
    if mimetype is None:
        return ""
    try:
        with settings_row.logo.storage.open(name, "rb") as handle:
            data = handle.read()
    except OSError:
        logger.warning("quote logo %s is missing from the media storage", name)
        return ""
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def quote_pdf_filename(quote: Quote) -> str:
    return f"{quote.display_number}.pdf"


def quote_pdf_html(quote: Quote, *, settings_row: QuoteSettings | None = None) -> str:
    settings_row = settings_row or QuoteSettings.load()
    language = quote.language or "en"
    zh = language.startswith("zh")
    lines = list(quote.lines.select_related("product").order_by("position", "id"))
    with translation.override(language):
        return render_to_string(
            "quotes/pdf.html",
            {
                "quote": quote,
                "lines": lines,
                "seller": settings_row,
                "seller_name": (
                    settings_row.company_name_zh if zh and settings_row.company_name_zh else settings_row.company_name
                ),
                "seller_address": (settings_row.address_zh if zh and settings_row.address_zh else settings_row.address),
                "logo": _logo_data_uri(settings_row),
                "zh": zh,
                "language": language,
            },
        )


def render_quote_pdf(quote: Quote) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = quote_pdf_html(quote)
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
