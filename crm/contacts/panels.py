"""What companies and contacts add to their 360-degree pages (see crm.core.timeline)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import KeyFigure, QuickAction, RelatedPanel, TimelineItem
from crm.core.visibility import visible_to

from .models import Company, Contact, Tier
from .tiers import tier_history

PANEL_SIZE = 10


def customer_since(record, user) -> KeyFigure:
    return KeyFigure(_("Customer since"), date_format(localtime(record.created_at).date(), "SHORT_DATE_FORMAT"))


def company_contact_count(company: Company, user) -> KeyFigure:
    count = visible_to(user, Contact).filter(company=company).count()
    return KeyFigure(_("Contacts"), count, reverse("contacts:contact_list") + f"?company={company.pk}")


def company_contacts(company: Company, user) -> RelatedPanel:
    qs = visible_to(user, Contact).filter(company=company).order_by("name", "pk")
    records = list(qs[: PANEL_SIZE + 1])
    total = len(records) if len(records) <= PANEL_SIZE else qs.count()
    return RelatedPanel(
        _("Contacts"), records[:PANEL_SIZE], total, reverse("contacts:contact_list") + f"?company={company.pk}"
    )


def company_subsidiaries(company: Company, user) -> RelatedPanel | None:
    records = list(visible_to(user, Company).filter(parent=company).order_by("name", "pk")[: PANEL_SIZE + 1])
    if not records:
        return None
    return RelatedPanel(_("Subsidiaries"), records[:PANEL_SIZE], len(records))


def contact_colleagues(contact: Contact, user) -> RelatedPanel | None:
    if contact.company_id is None:
        return None
    qs = visible_to(user, Contact).filter(company_id=contact.company_id).exclude(pk=contact.pk).order_by("name", "pk")
    records = list(qs[: PANEL_SIZE + 1])
    if not records:
        return None
    total = len(records) if len(records) <= PANEL_SIZE else qs.count()
    more = reverse("contacts:contact_list") + f"?company={contact.company_id}"
    return RelatedPanel(_("Colleagues at the same company"), records[:PANEL_SIZE], total, more)


def value_tier(record, user) -> KeyFigure:
    if not record.tier:
        return KeyFigure(_("Tier"), gettext("Not rated"))
    text = gettext("%(tier)s (RFM %(rfm)s)") % {"tier": record.tier, "rfm": record.rfm}
    return KeyFigure(_("Tier"), text, reverse(f"contacts:{record._meta.model_name}_list") + f"?tier={record.tier}")


def lifetime_value(record, user) -> KeyFigure:
    return KeyFigure(
        _("Lifetime value (%(currency)s)") % {"currency": settings.DEFAULT_CURRENCY}, record.lifetime_value
    )


def tier_changes_source(record, user, limit: int) -> list[TimelineItem]:
    labels = dict(Tier.choices)
    items = []
    for change in tier_history(record, limit=limit):
        title = gettext("Tier changed: %(old)s → %(new)s") % {
            "old": labels.get(change.old_tier, gettext("not rated")),
            "new": labels.get(change.new_tier, gettext("not rated")),
        }
        if change.rfm:
            title += f" (RFM {change.rfm})"
        items.append(TimelineItem(when=change.changed_at, kind="tier", title=title))
    return items


def add_contact_at_company(company: Company, user) -> QuickAction | None:
    if not user.has_perm("contacts.add_contact"):
        return None
    return QuickAction(_("Add a contact"), reverse("contacts:contact_add") + f"?company={company.pk}")
