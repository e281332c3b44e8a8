"""What orders add to the 360-degree pages (crm.core.timeline): orders, their status
changes and payments on the timelines of companies, contacts and deals (three queries
whatever the number of orders), "Outstanding" and "Overdue" on companies and contacts
(two queries for both), and "Create order" on a won deal."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core.timeline import KeyFigure, QuickAction, TimelineItem
from crm.core.visibility import visible_to

from .models import Order, OrderStatus, OrderStatusChange, Payment, PaymentKind
from .selectors import customer_field, receivables_of
from .services import format_money


def _orders_of(record, user):
    field = customer_field(record)
    if field is None or not user.has_perm("orders.view_order"):
        return None
    return visible_to(user, Order).filter(**{field: record})


def orders_timeline(record, user, limit: int) -> list[TimelineItem]:
    orders = _orders_of(record, user)
    if orders is None:
        return []
    labels = dict(OrderStatus.choices)
    items = []
    for order in orders.select_related("owner").order_by("-created_at")[:limit]:
        items.append(
            TimelineItem(
                when=order.created_at,
                kind="order.created",
                title=gettext("Order %(number)s created: %(title)s, %(total)s")
                % {"number": order.number, "title": order.title, "total": format_money(order.total, order.currency)},
                actor=order.owner.get_username() if order.owner else "",
                url=order.get_absolute_url(),
            )
        )
    changes = (
        OrderStatusChange.objects.filter(order__in=orders.values("pk"))
        .select_related("order", "changed_by")
        .order_by("-changed_at")[:limit]
    )
    for change in changes:
        items.append(
            TimelineItem(
                when=change.changed_at,
                kind="order.status",
                title=gettext("Order %(number)s: %(status)s")
                % {"number": change.order.number, "status": labels.get(change.to_status, change.to_status)},
                actor=change.changed_by.get_username() if change.changed_by else "",
                url=change.order.get_absolute_url(),
            )
        )
    payments = (
        Payment.objects.filter(order__in=orders.values("pk"))
        .select_related("order", "created_by")
        .order_by("-paid_at")[:limit]
    )
    for payment in payments:
        template = (
            gettext("Refund of %(amount)s on order %(number)s")
            if payment.kind == PaymentKind.REFUND
            else gettext("Payment of %(amount)s on order %(number)s")
        )
        items.append(
            TimelineItem(
                when=payment.paid_at,
                kind=f"order.{payment.kind}",
                title=template
                % {"amount": format_money(payment.amount, payment.order.currency), "number": payment.order.number},
                actor=payment.created_by.get_username() if payment.created_by else "",
                url=payment.order.get_absolute_url(),
            )
        )
    return items


def _money_text(figures: dict, key: str) -> str:
    parts = [format_money(values[key], currency) for currency, values in sorted(figures.items()) if values[key]]
    return " · ".join(parts) if parts else format_money(0, settings.DEFAULT_CURRENCY)


def _orders_url(record) -> str:
    return reverse("orders:order_list") + "?" + urlencode({customer_field(record): record.pk})


def outstanding_figure(record, user) -> KeyFigure | None:
    if not user.has_perm("orders.view_order"):
        return None
    return KeyFigure(_("Outstanding"), _money_text(receivables_of(record, user), "outstanding"), _orders_url(record))


def overdue_figure(record, user) -> KeyFigure | None:
    if not user.has_perm("orders.view_order"):
        return None
    url = reverse("orders:receivables") + "?" + urlencode({customer_field(record): record.pk})
    return KeyFigure(_("Overdue"), _money_text(receivables_of(record, user), "overdue"), url)


def create_order_from_deal(deal, user) -> QuickAction | None:
    """On a won deal: a new order for its customer and currency, with the lines of its
    accepted quote when it has one (one query for the quote)."""
    from crm.deals.models import DealStatus

    if deal.status != DealStatus.WON or not user.has_perm("orders.add_order"):
        return None
    params = {"deal": deal.pk, "currency": deal.currency, "title": deal.name}
    if deal.company_id:
        params["company"] = deal.company_id
    from crm.quotes.models import Quote, QuoteStatus

    quote = (
        visible_to(user, Quote)
        .filter(deal=deal, status=QuoteStatus.ACCEPTED)
        .order_by("-closed_at", "-pk")
        .values("pk", "contact_id", "company_id")
        .first()
    )
    if quote is not None:
        params["quote"] = quote["pk"]
        if quote["contact_id"]:
            params["contact"] = quote["contact_id"]
        if quote["company_id"] and "company" not in params:
            params["company"] = quote["company_id"]
    return QuickAction(_("Create order"), reverse("orders:order_add") + "?" + urlencode(params))
