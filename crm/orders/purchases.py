"""Orders as the purchases the value tiers read (crm.contacts.tiers): every confirmed,
shipped, delivered or completed order in the default currency (not cancelled, not in
the recycle bin) is a purchase of its company, or of its contact when it has no company,
on its order date, for its total. A won deal that became such an order is left out by
the deals' own source (crm/deals/purchases.py), so it is not counted twice."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from .selectors import purchase_orders


def _as_time(day: datetime.date | None):
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def order_purchases(model, since):
    from crm.contacts.models import Company, Contact

    since_day = timezone.localtime(since).date() if timezone.is_aware(since) else since.date()
    orders = purchase_orders().filter(currency=settings.DEFAULT_CURRENCY)
    if model is Company:
        key = "company_id"
        orders = orders.filter(company__isnull=False)
    elif model is Contact:
        key = "contact_id"
        orders = orders.filter(company__isnull=True, contact__isnull=False)
    else:
        return []
    rows = (
        orders.values(key)
        .annotate(
            last=Max("order_date"),
            recent=Count("pk", filter=Q(order_date__gte=since_day)),
            amount_recently=Sum("total", filter=Q(order_date__gte=since_day)),
            amount_ever=Sum("total"),
        )
        .values_list(key, "last", "recent", "amount_recently", "amount_ever")
        .order_by()
    )
    return (
        (pk, _as_time(last), recent, recent_amount, ever)
        for pk, last, recent, recent_amount, ever in rows.iterator(chunk_size=5000)
    )
