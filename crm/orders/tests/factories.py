"""Orders for tests. ``OrderFactory`` makes a numbered draft with no lines, on a new
company of the same owner; ``make_order`` goes through the services (lines, totals,
status, plan) as the pages would."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from crm.contacts.tests.factories import CompanyFactory
from crm.orders import services
from crm.orders.models import Order, OrderStatus


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO-1999-{n + 1:06d}")
    title = factory.Sequence(lambda n: f"服务器采购 Server purchase {n}")
    company = factory.LazyAttribute(lambda o: CompanyFactory(owner=o.owner))
    currency = "CNY"
    order_date = factory.LazyFunction(timezone.localdate)


LINES = [
    {"description": "云服务器 Cloud server", "quantity": "2", "unit": "台", "unit_price": "4999.99", "tax_rate": "13"},
    {
        "description": "安装服务 Installation",
        "quantity": "1",
        "unit_price": "800",
        "discount_percent": "10",
        "tax_rate": "6",
    },
]


def make_order(*, owner, status=OrderStatus.DRAFT, lines=None, currency="CNY", company=None, contact=None, **data):
    """An order made and moved by the services (as ``owner``'s system actions)."""
    if company is None and contact is None:
        company = CompanyFactory(owner=owner)
    payload = {"title": "年度采购 Annual purchase", "currency": currency, "owner": owner, **data}
    if company is not None:
        payload["company"] = company
    if contact is not None:
        payload["contact"] = contact
    order = services.order_create(actor=None, data=payload, lines=LINES if lines is None else lines)
    path = {
        OrderStatus.DRAFT: [],
        OrderStatus.CONFIRMED: [OrderStatus.CONFIRMED],
        OrderStatus.SHIPPED: [OrderStatus.CONFIRMED, OrderStatus.SHIPPED],
        OrderStatus.DELIVERED: [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
        OrderStatus.COMPLETED: [
            OrderStatus.CONFIRMED,
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
            OrderStatus.COMPLETED,
        ],
        OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
    }[status]
    for step in path:
        order = services.order_transition(order=order, actor=None, to_status=step)
    return Order.objects.get(pk=order.pk)


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def plan(order, *parts):
    """Set ``order``'s plan to ``(days from today, amount)`` parts."""
    return services.order_set_plan(
        order=order,
        actor=None,
        instalments=[
            {"label": f"#{n}", "due_date": timezone.localdate() + datetime.timedelta(days=d), "amount": Decimal(a)}
            for n, (d, a) in enumerate(parts, start=1)
        ],
    )
