"""What companies and contacts add to their 360-degree pages (see crm.core.timeline)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import KeyFigure, RelatedPanel
from crm.core.visibility import visible_to

from .models import Company, Contact

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
