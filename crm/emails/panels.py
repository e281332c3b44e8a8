"""What e-mail adds to the 360-degree pages: "Send e-mail" on contacts (with an address)
and on deals that have contacts, and the message's addresses on an e-mail activity."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import QuickAction, RelatedPanel

from .models import EmailMessage
from .services import SEND_PERMISSION


def send_email_to_contact(record, user) -> QuickAction | None:
    if not user.has_perm(SEND_PERMISSION) or not record.email:
        return None
    return QuickAction(_("Send e-mail"), reverse("emails:compose") + f"?contact={record.pk}")


def send_email_on_deal(record, user) -> QuickAction | None:
    if not user.has_perm(SEND_PERMISSION):
        return None
    if not record.deal_contacts.exclude(contact__email="").filter(contact__deleted_at__isnull=True).exists():
        return None
    return QuickAction(_("Send e-mail"), reverse("emails:compose") + f"?deal={record.pk}")


@dataclass(frozen=True)
class EmailLine:
    """One line of the e-mail panel on the activity's page, linking to the whole message."""

    label: object
    value: str
    url: str

    def get_absolute_url(self) -> str:
        return self.url

    def __str__(self) -> str:
        return f"{self.label}: {breakable(self.value)}"


ZERO_WIDTH_SPACE = "\u200b"
LONG_RUN = re.compile(r"\S{25,}")


def breakable(text: str) -> str:
    """A long address or Message-ID with places to wrap (after . @ - _ + and every 20
    characters): the activity's page is generic and must not be pushed wider than a
    phone's screen by one unbroken word."""

    def soften(match: re.Match) -> str:
        word = re.sub(r"([.@\-_+])", "\\1" + ZERO_WIDTH_SPACE, match.group(0))
        return re.sub(r"([^\u200b]{20})(?=[^\u200b])", "\\1" + ZERO_WIDTH_SPACE, word)

    return LONG_RUN.sub(soften, text)


def email_of_activity(record, user) -> RelatedPanel | None:
    """The message's addresses and Message-ID on an e-mail activity's page (the page is
    already limited to those who may read the activity). One query."""
    if record.kind != "email":
        return None
    message = EmailMessage.objects.filter(activity=record).first()
    if message is None:
        return None
    url = message.get_absolute_url()
    lines = [
        EmailLine(message.get_direction_display(), message.sent_at_display(), url),
        EmailLine(pgettext("e-mail header", "From"), message.from_address, url),
        EmailLine(pgettext("e-mail header", "To"), ", ".join(message.to_addresses) or "—", url),
    ]
    if message.cc_addresses:
        lines.append(EmailLine(pgettext("e-mail header", "Cc"), ", ".join(message.cc_addresses), url))
    lines.append(EmailLine(gettext("Message ID"), message.message_id, url))
    if message.attachment_names:
        lines.append(EmailLine(gettext("Attachments"), ", ".join(message.attachment_names), url))
    return RelatedPanel(title=pgettext_lazy("e-mail message", "E-mail"), records=lines, total=1)
