"""Won deals as purchases for the value tiers (crm.contacts.tiers): a won deal is a
purchase of its company, or of its contacts when it has no company, on the day it was
won, in the default currency. A won deal that became an order (confirmed or later) is
left out: the orders' own purchase source (crm/orders/purchases.py) counts it."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum

from .models import Deal, DealContact, DealStatus


def won_deal_purchases(model, since):
    from crm.contacts.models import Company, Contact
    from crm.orders.selectors import purchase_orders

    won = Q(deal__status=DealStatus.WON, deal__deleted_at__isnull=True, deal__currency=settings.DEFAULT_CURRENCY)
    won &= ~Exists(purchase_orders().filter(deal_id=OuterRef("deal_id")))
    if model is Company:
        rows = (
            Deal.objects.filter(status=DealStatus.WON, company__isnull=False, currency=settings.DEFAULT_CURRENCY)
            .exclude(Exists(purchase_orders().filter(deal_id=OuterRef("pk"))))
            .values("company_id")
            .annotate(
                last_won=Max("closed_at"),
                won_recently=Count("pk", filter=Q(closed_at__gte=since)),
                amount_recently=Sum("amount", filter=Q(closed_at__gte=since)),
                amount_ever=Sum("amount"),
            )
            .values_list("company_id", "last_won", "won_recently", "amount_recently", "amount_ever")
        )
    elif model is Contact:
        rows = (
            DealContact.objects.filter(won, deal__company__isnull=True)
            .values("contact_id")
            .annotate(
                last_won=Max("deal__closed_at"),
                won_recently=Count("deal", filter=Q(deal__closed_at__gte=since)),
                amount_recently=Sum("deal__amount", filter=Q(deal__closed_at__gte=since)),
                amount_ever=Sum("deal__amount"),
            )
            .values_list("contact_id", "last_won", "won_recently", "amount_recently", "amount_ever")
        )
    else:
        return []
    return rows.iterator(chunk_size=5000)
