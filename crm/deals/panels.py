"""What deals add to the 360-degree pages of companies, contacts and deals
(see crm.core.timeline). Each part reads a bounded number of rows in a fixed number
of queries, whatever the number of deals."""

from __future__ import annotations

import decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import KeyFigure, RelatedPanel, TimelineItem
from crm.core.visibility import visible_to

from .models import Deal, DealStageChange, DealStatus
from .tables import money

PANEL_SIZE = 10


def _deals_of(record, user):
    from crm.contacts.models import Company, Contact

    qs = visible_to(user, Deal)
    if isinstance(record, Company):
        return qs.filter(company=record), f"?company={record.pk}"
    if isinstance(record, Contact):
        return qs.filter(contacts=record), f"?contact={record.pk}"
    raise TypeError(type(record))


def _amounts(rows) -> str:
    parts = [f"{money(r['total'] or decimal.Decimal(0))} {r['currency']}" for r in rows if r["total"] is not None]
    return " · ".join(parts) if parts else money(decimal.Decimal(0))


def open_deals(record, user) -> KeyFigure:
    qs, query = _deals_of(record, user)
    count = qs.filter(status=DealStatus.OPEN).count()
    return KeyFigure(_("Open deals"), count, reverse("deals:deal_list") + query + "&status=open")


def lifetime_won(record, user) -> KeyFigure:
    qs, query = _deals_of(record, user)
    rows = list(
        qs.filter(status=DealStatus.WON)
        .order_by()
        .values("currency")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("-total")
    )
    return KeyFigure(_("Lifetime won"), _amounts(rows), reverse("deals:deal_list") + query + "&status=won")


def related_deals(record, user) -> RelatedPanel:
    qs, query = _deals_of(record, user)
    qs = qs.select_related("stage").order_by("-created_at", "-pk")
    records = list(qs[: PANEL_SIZE + 1])
    total = len(records) if len(records) <= PANEL_SIZE else qs.count()
    return RelatedPanel(_("Deals"), records[:PANEL_SIZE], total, reverse("deals:deal_list") + query)


def stage_moves(record, user, limit: int) -> list[TimelineItem]:
    """The stage moves of the record's deals (or of the deal itself), newest first."""
    from crm.contacts.models import Company, Contact

    if isinstance(record, Deal):
        moves = DealStageChange.objects.filter(deal=record)
    elif isinstance(record, Company | Contact):
        deals, _query = _deals_of(record, user)
        moves = DealStageChange.objects.filter(deal__in=deals.values("pk"))
    else:
        return []
    moves = moves.select_related("deal", "from_stage", "to_stage", "changed_by").order_by("-changed_at", "-id")
    items = []
    for move in moves[:limit]:
        if move.from_stage_id is None:
            title = gettext("%(deal)s created in %(stage)s") % {"deal": move.deal, "stage": move.to_stage or "—"}
        else:
            title = gettext("%(deal)s moved from %(old)s to %(new)s") % {
                "deal": move.deal,
                "old": move.from_stage or "—",
                "new": move.to_stage or "—",
            }
        items.append(
            TimelineItem(
                when=move.changed_at,
                kind="deal.move",
                title=title,
                actor=move.changed_by.get_username() if move.changed_by else "",
                url=move.deal.get_absolute_url() if not isinstance(record, Deal) else "",
            )
        )
    return items
