"""Reading a raw RFC 822 message (an .eml file, or what a mail gateway posts) with the
standard library's ``email`` package: subject (RFC 2047 words decoded), a plain-text
body (text/plain preferred, else the HTML turned into text), addresses, date,
Message-ID and the names of the attachments (not their contents)."""

from __future__ import annotations

import datetime
import email
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from django.utils import timezone

# Mail from China often says gb2312 (or nothing) and holds GBK or GB18030 characters:
# GB18030 is a superset of both, so reading with it loses nothing.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}
RECIPIENT_HEADERS = ("to", "cc", "bcc", "delivered-to", "x-original-to", "envelope-to", "x-forwarded-to")
MAX_BODY_CHARS = 100_000
TEXT_TYPES = ("text/plain", "text/html")


class MalformedMessage(ValueError):
    pass


@dataclass
class ParsedAddress:
    name: str
    address: str  # lower-cased

    def formatted(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass
class ParsedMessage:
    subject: str
    text: str
    sender: ParsedAddress
    to: list[ParsedAddress]
    cc: list[ParsedAddress]
    bcc: list[ParsedAddress]
    envelope: list[str]  # Delivered-To, X-Original-To…: where the gateway delivered it
    date: datetime.datetime | None
    message_id: str
    attachments: list[str] = field(default_factory=list)

    def all_recipient_addresses(self) -> list[str]:
        seen: list[str] = []
        for addr in [*(a.address for a in self.to + self.cc + self.bcc), *self.envelope]:
            if addr and addr not in seen:
                seen.append(addr)
        return seen


class _HtmlToText(HTMLParser):
    BLOCKS = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "blockquote",
            "pre",
            "hr",
            "section",
            "article",
        ]
    )
    SKIP = frozenset(("script", "style", "head", "title"))

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HtmlToText()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decode_part(part) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


def _addresses(msg: MimeMessage, name: str) -> list[ParsedAddress]:
    values = msg.get_all(name) or []
    result = []
    try:
        pairs = getaddresses([str(v) for v in values])
    except (TypeError, ValueError, IndexError):
        return []
    for display, addr in pairs:
        addr = addr.strip().lower()
        if "@" in addr and addr not in {a.address for a in result}:
            result.append(ParsedAddress(name=display.strip(), address=addr))
    return result


def _header(msg: MimeMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (TypeError, ValueError, IndexError, LookupError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _date(msg: MimeMessage) -> datetime.datetime | None:
    raw = _header(msg, "date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if timezone.is_naive(when):
        when = when.replace(tzinfo=datetime.UTC)
    return when


def _body(msg: MimeMessage) -> tuple[str, list[str]]:
    plain, markup, attachments = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        content_type = part.get_content_type()
        if part.get_content_disposition() == "attachment" or filename or content_type not in TEXT_TYPES:
            if filename:
                attachments.append(" ".join(str(filename).split()))
            continue
        (plain if content_type == "text/plain" else markup).append(_decode_part(part))
    text = "\n\n".join(p.strip() for p in plain) if plain else "\n\n".join(html_to_text(m) for m in markup)
    text = text.replace("\r\n", "\n").strip()
    return text[:MAX_BODY_CHARS], attachments[:100]


def parse_message(raw: bytes) -> ParsedMessage:
    """Read one message, or raise MalformedMessage when it is not an e-mail at all."""
    if not raw or not raw.strip():
        raise MalformedMessage("empty")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:
        raise MalformedMessage(str(exc)) from None
    senders = _addresses(msg, "from")
    if not senders:
        raise MalformedMessage("no sender")
    try:
        text, attachments = _body(msg)
    except (LookupError, ValueError, TypeError, AssertionError) as exc:
        raise MalformedMessage(str(exc)) from None
    message_id = _header(msg, "message-id").strip()
    if not message_id:
        # The same file posted twice is still logged once.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"
    envelope = [a.address for name in RECIPIENT_HEADERS[3:] for a in _addresses(msg, name)]
    return ParsedMessage(
        subject=_header(msg, "subject")[:200],
        text=text,
        sender=senders[0],
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        bcc=_addresses(msg, "bcc"),
        envelope=envelope,
        date=_date(msg),
        message_id=message_id[:255],
        attachments=attachments,
    )
