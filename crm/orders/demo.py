"""Demo orders: for existing companies and contacts (and products when the catalog has
some), in every status, with payment plans and payments, some of them overdue. Bulk
inserts in batches; numbers are reserved per year from ``OrderSequence`` under its row
lock, so the demo's numbers are gap-free and orders created afterwards continue them.

Used by ``seed_demo`` and by the receivables benchmark (bench/orders.py).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.core.money import line_amounts, money_round

from .models import (
    Instalment,
    Order,
    OrderLine,
    OrderSequence,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentKind,
    PaymentMethod,
)

BATCH = 5_000
ITEMS = [
    ("云服务器", "Cloud server", "台", Decimal("4999.00"), Decimal("13")),
    ("数据库许可", "Database licence", "套", Decimal("12800.00"), Decimal("13")),
    ("实施服务", "Implementation service", "人天", Decimal("2200.00"), Decimal("6")),
    ("年度维保", "Annual support", "年", Decimal("8800.00"), Decimal("6")),
    ("网络交换机", "Network switch", "台", Decimal("3650.00"), Decimal("13")),
    ("培训课程", "Training course", "人", Decimal("1500.00"), Decimal("6")),
    ("办公软件订阅", "Office suite subscription", "用户/年", Decimal("360.00"), Decimal("6")),
    ("物联网网关", "IoT gateway", "个", Decimal("899.00"), Decimal("13")),
]
TITLES = ["年度采购", "扩容订单", "续约", "项目采购", "Annual purchase", "Expansion", "Renewal", "Pilot project"]
STATUS_WEIGHTS = [
    (OrderStatus.DRAFT, 8),
    (OrderStatus.CONFIRMED, 20),
    (OrderStatus.SHIPPED, 12),
    (OrderStatus.DELIVERED, 15),
    (OrderStatus.COMPLETED, 40),
    (OrderStatus.CANCELLED, 5),
]
METHODS = [m.value for m in PaymentMethod]
METHOD_WEIGHTS = [50, 5, 10, 15, 15, 5]
CURRENCIES = [("CNY", 92), ("USD", 5), ("JPY", 3)]
RATES = {"CNY": Decimal("1"), "USD": Decimal("0.14"), "JPY": Decimal("20")}


def _weighted(rnd: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rnd.choices(values, weights=weights)[0]


def _reserve_numbers(years: dict[int, int]) -> dict[int, int]:
    """The first number of a block of ``count`` per year, taken under the counter's lock."""
    first = {}
    for year, count in sorted(years.items()):
        OrderSequence.objects.get_or_create(year=year)
        sequence = OrderSequence.objects.select_for_update().get(year=year)
        first[year] = sequence.last + 1
        sequence.last += count
        sequence.save(update_fields=["last"])
    return first


def _allocate(instalments: list[Instalment], paid: Decimal) -> None:
    for instalment in sorted(instalments, key=lambda i: (i.due_date, i.sequence)):
        take = min(paid, instalment.amount)
        instalment.paid_amount = take
        paid -= take


def seed_orders(
    *,
    total: int,
    owners: list[int],
    seed: int = 2026,
    progress: Callable[[str, int, int], None] | None = None,
    lines_per_order: tuple[int, int] = (1, 6),
) -> int:
    """``total`` orders owned by ``owners`` for existing customers (a sample of up to
    200,000 contacts: their company, or the contact alone when it has none). About a
    third of what is owed on open orders is overdue. Returns how many orders were made."""
    from crm.contacts.models import Contact

    if total <= 0 or not owners:
        return 0
    customers = list(Contact.objects.order_by("pk").values_list("pk", "company_id")[:200_000])
    if not customers:
        from crm.contacts.models import Company

        customers = [(None, pk) for pk in Company.objects.order_by("pk").values_list("pk", flat=True)[:200_000]]
    if not customers:
        return 0
    products = _products()
    rnd = random.Random(seed + 31)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    today = timezone.localdate(now)
    made = 0
    for start in range(0, total, BATCH):
        count = min(BATCH, total - start)
        plans = [_order_plan(rnd, today, customers, products, owners, lines_per_order) for _ in range(count)]
        years: dict[int, int] = {}
        for plan in plans:
            years[plan["order"].order_date.year] = years.get(plan["order"].order_date.year, 0) + 1
        with transaction.atomic():
            next_number = _reserve_numbers(years)
            for plan in sorted(plans, key=lambda p: (p["order"].order_date, p["order"].created_at)):
                year = plan["order"].order_date.year
                plan["order"].number = f"SO-{year}-{next_number[year]:06d}"
                next_number[year] += 1
            orders = Order.objects.bulk_create([p["order"] for p in plans], batch_size=2000)
            lines, instalments, payments, changes = [], [], [], []
            for plan, order in zip(plans, orders, strict=True):
                for line in plan["lines"]:
                    line.order_id = order.pk
                    lines.append(line)
                for instalment in plan["instalments"]:
                    instalment.order_id = order.pk
                    instalments.append(instalment)
                for payment in plan["payments"]:
                    payment.order_id = order.pk
                    payments.append(payment)
                if order.status != OrderStatus.DRAFT:
                    changes.append(
                        OrderStatusChange(
                            order_id=order.pk,
                            from_status=plan["from_status"],
                            to_status=order.status,
                            changed_at=order.status_changed_at,
                            changed_by_id=order.owner_id,
                        )
                    )
            OrderLine.objects.bulk_create(lines, batch_size=5000)
            Instalment.objects.bulk_create(instalments, batch_size=5000)
            Payment.objects.bulk_create(payments, batch_size=5000)
            OrderStatusChange.objects.bulk_create(changes, batch_size=5000)
        made += count
        if progress is not None:
            progress("orders", made, total)
    return made


def _products() -> list[tuple]:
    try:
        from crm.products.models import Product
    except ImportError:  # pragma: no cover - the catalog is optional
        return []
    return list(
        Product.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "name", "name_zh", "unit", "list_price", "currency", "tax_rate")[:2000]
    )


def _order_plan(rnd, today, customers, products, owners, lines_per_order) -> dict:
    contact_id, company_id = rnd.choice(customers)
    currency = _weighted(rnd, CURRENCIES)
    status = _weighted(rnd, STATUS_WEIGHTS)
    order_date = today - datetime.timedelta(days=int(rnd.triangular(0, 720, 30)))
    created = timezone.make_aware(datetime.datetime.combine(order_date, datetime.time(9))) + datetime.timedelta(
        seconds=rnd.randrange(8 * 3600)
    )
    lines = []
    for position in range(1, rnd.randint(*lines_per_order) + 1):
        product_id = None
        if products and rnd.random() < 0.7:
            product_id, name, name_zh, unit, price, product_currency, tax = rnd.choice(products)
            description = name_zh or name
            if product_currency != currency:
                price = money_round(Decimal(price) * RATES.get(currency, 1), currency)
        else:
            zh, en, unit, price, tax = rnd.choice(ITEMS)
            description = zh if rnd.random() < 0.7 else en
            price = money_round(price * RATES[currency], currency)
        quantity = Decimal(rnd.choice([1, 1, 2, 3, 5, 10, 20]))
        discount = Decimal(rnd.choice([0, 0, 0, 5, 10, 15]))
        amounts = line_amounts(
            quantity=quantity, unit_price=price, discount_percent=discount, tax_rate=tax, currency=currency
        )
        lines.append(
            OrderLine(
                position=position,
                product_id=product_id,
                description=description[:500],
                quantity=quantity,
                unit=unit or "",
                unit_price=price,
                discount_percent=discount,
                tax_rate=tax,
                gross=amounts["gross"],
                discount=amounts["discount"],
                net=amounts["net"],
                tax=amounts["tax"],
                line_total=amounts["total"],
            )
        )
    totals = {k: sum((getattr(line, k) for line in lines), Decimal(0)) for k in ("gross", "discount", "net", "tax")}
    total = sum((line.line_total for line in lines), Decimal(0))
    billed = status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED)
    instalments, payments = [], []
    paid = Decimal(0)
    if billed or (status == OrderStatus.CANCELLED and rnd.random() < 0.5):
        parts = rnd.choice([1, 1, 1, 2, 2, 3])
        amounts = [money_round(total / parts, currency)] * (parts - 1)
        amounts.append(total - sum(amounts, Decimal(0)))
        first_due = order_date + datetime.timedelta(days=rnd.choice([15, 30, 30, 45, 60]))
        for n, amount in enumerate(amounts, start=1):
            instalments.append(
                Instalment(
                    sequence=n,
                    label=f"第{n}期" if parts > 1 else "全款",
                    due_date=first_due + datetime.timedelta(days=30 * (n - 1)),
                    amount=amount,
                )
            )
        if billed:
            roll = rnd.random()
            if (status == OrderStatus.COMPLETED and roll < 0.85) or roll < 0.35:
                paid = total
            elif roll < 0.7:
                paid = money_round(total * Decimal(rnd.randint(10, 90)) / 100, currency)
            # Payments: up to three, never more than the total.
            left = paid
            pieces = rnd.randint(1, 3) if paid > 0 else 0
            for piece in range(pieces):
                amount = (
                    left if piece == pieces - 1 else money_round(left * Decimal(rnd.randint(30, 70)) / 100, currency)
                )
                if amount <= 0:
                    continue
                left -= amount
                when = min(
                    timezone.now(),
                    timezone.make_aware(datetime.datetime.combine(first_due, datetime.time(10)))
                    + datetime.timedelta(days=rnd.randint(-20, 40) + 30 * piece),
                )
                when = max(when, created)
                payments.append(
                    Payment(
                        kind=PaymentKind.PAYMENT,
                        amount=amount,
                        paid_at=when,
                        method=rnd.choices(METHODS, weights=METHOD_WEIGHTS)[0],
                        reference=f"TX{rnd.randrange(10**9):09d}",
                    )
                )
            paid = sum((p.amount for p in payments), Decimal(0))
        _allocate(instalments, paid)
    path = [s for s, _w in STATUS_WEIGHTS]
    from_status = OrderStatus.DRAFT
    if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        from_status = path[path.index(status) - 1]
    changed = created + datetime.timedelta(days=rnd.randint(0, 20))
    order = Order(
        title=f"{rnd.choice(TITLES)} {order_date:%Y-%m}",
        company_id=company_id,
        contact_id=contact_id if (company_id is None or rnd.random() < 0.6) else None,
        currency=currency,
        order_date=order_date,
        status=status,
        status_changed_at=changed if status != OrderStatus.DRAFT else None,
        gross_total=totals["gross"],
        discount_total=totals["discount"],
        net_total=totals["net"],
        tax_total=totals["tax"],
        total=total,
        paid_total=paid,
        owner_id=rnd.choice(owners),
        created_at=created,
        updated_at=changed,
        custom_fields={},
    )
    return {
        "order": order,
        "lines": lines,
        "instalments": instalments,
        "payments": payments,
        "from_status": from_status,
    }
