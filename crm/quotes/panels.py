"""What quotes add to the 360 pages of deals, companies and contacts: a timeline of
quotes, a "Quotes" panel on deals, and the "New quote" quick action."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import QuickAction, RelatedPanel, TimelineItem
from crm.core.visibility import visible_to

from .models import Quote

LINK_FIELD = {"contacts.company": "company", "contacts.contact": "contact", "deals.deal": "deal"}


def quotes_of(record, user):
    field = LINK_FIELD.get(record._meta.label_lower)
    if field is None:
        return Quote.objects.none()
    return visible_to(user, Quote).filter(**{field: record})


def quotes_timeline(record, user, limit: int) -> list[TimelineItem]:
    rows = quotes_of(record, user).select_related("owner").order_by("-created_at", "-id")[:limit]
    return [
        TimelineItem(
            when=q.created_at,
            kind="quote",
            title=gettext("Quote %(number)s (%(status)s): %(total)s %(currency)s")
            % {
                "number": q.display_number,
                "status": q.get_status_display(),
                "total": q.total.normalize(),
                "currency": q.currency,
            },
            actor=q.owner.get_username() if q.owner else "",
            url=q.get_absolute_url(),
        )
        for q in rows
    ]


def deal_quotes_panel(deal, user) -> RelatedPanel:
    qs = quotes_of(deal, user)
    records = list(qs.order_by("-created_at", "-id")[:10])
    total = qs.count() if len(records) == 10 else len(records)
    return RelatedPanel(_("Quotes"), records, total, reverse("quotes:quote_list") + f"?deal={deal.pk}")


def new_quote(record, user) -> QuickAction | None:
    if not user.has_perm("quotes.add_quote"):
        return None
    field = LINK_FIELD.get(record._meta.label_lower)
    if field is None:
        return None
    query = f"?{field}={record.pk}"
    if field == "contact" and record.company_id:
        query += f"&company={record.company_id}"
    if field == "deal":
        query += f"&currency={record.currency}"
    return QuickAction(_("New quote"), reverse("quotes:quote_add") + query)
