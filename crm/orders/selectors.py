"""Reads of orders beyond the generic list: outstanding and overdue amounts, the aging
of receivables, and the orders counted as purchases.

Receivables are read from the stored ``Order.paid_total`` and ``Instalment.paid_amount``
(kept by the payment services), so each table below is one aggregate query over the
instalments (or orders) of the orders the user may see, grouped by currency: amounts in
different currencies are never added together.

Aging: an instalment is overdue from the day after its due date; its unpaid part
(``amount - paid_amount``) falls in a bucket by days past due: 1–30 ("0–30"), 31–60,
61–90 and more than 90. Only orders the customer owes for count (confirmed, shipped,
delivered, completed; not drafts, not cancelled, not in the recycle bin).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, money_round
from crm.core.visibility import visible_to

from .models import BILLED_STATUSES, Instalment, Order

BUCKETS = (("d0_30", 1, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d90_plus", 91, None))
MONEY = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
ZERO = Value(Decimal("0"), output_field=MONEY)


def billed_orders(user, *, owner=None, team=None, currency=None, company=None, contact=None):
    """The orders ``user`` may see that the customer owes for, narrowed by owner, team
    (the owner's team), currency and customer."""
    orders = visible_to(user, Order) if user is not None else Order.objects.all()
    orders = orders.filter(status__in=BILLED_STATUSES)
    if owner:
        orders = orders.filter(owner_id=owner)
    if team:
        orders = orders.filter(owner__team_id=team)
    if currency:
        orders = orders.filter(currency=currency)
    if company:
        orders = orders.filter(company_id=company)
    if contact:
        orders = orders.filter(contact_id=contact)
    return orders


def _unpaid(prefix: str = ""):
    return ExpressionWrapper(F(f"{prefix}amount") - F(f"{prefix}paid_amount"), output_field=MONEY)


def overdue_instalments(user, *, today: datetime.date | None = None, **filters):
    today = today or timezone.localdate()
    return Instalment.objects.filter(
        order__in=billed_orders(user, **filters).values("pk"), due_date__lt=today, paid_amount__lt=F("amount")
    )


def _bucket_sums(today: datetime.date, prefix: str = "") -> dict:
    sums = {}
    for key, low, high in BUCKETS:
        condition = Q(**{f"{prefix}due_date__lte": today - datetime.timedelta(days=low)})
        if high is not None:
            condition &= Q(**{f"{prefix}due_date__gte": today - datetime.timedelta(days=high)})
        sums[key] = Coalesce(Sum(Case(When(condition, then=_unpaid(prefix)), default=ZERO, output_field=MONEY)), ZERO)
    sums["overdue"] = Coalesce(Sum(_unpaid(prefix)), ZERO)
    return sums


def _rounded(row: dict, currency: str) -> dict:
    for key in ("d0_30", "d31_60", "d61_90", "d90_plus", "overdue"):
        if key in row:
            row[key] = money_round(row[key] or 0, currency)
    return row


AGING_KEYS = {None: [], "customer": ["company_id", "contact_id"], "owner": ["owner_id"]}


def aging(
    user, *, today: datetime.date | None = None, by: str | None = None, limit: int | None = None, **filters
) -> list[dict]:
    """Overdue amounts per bucket and their total, per currency; ``by="customer"`` adds
    the company and contact, ``by="owner"`` the order's owner (largest overdue first,
    at most ``limit`` rows). One aggregate query: the orders the user may see, joined
    once to their overdue instalments (the partial index ``instalment_overdue_idx``
    holds just the unpaid ones); the names of the customers or owners shown are read
    afterwards, by id."""
    today = today or timezone.localdate()
    keys = ["currency", *AGING_KEYS.get(by, [])]
    p = "instalments__"
    rows = (
        billed_orders(user, **filters)
        .filter(**{f"{p}due_date__lt": today, f"{p}paid_amount__lt": F(f"{p}amount")})
        .values(*keys)
        .annotate(**_bucket_sums(today, p), overdue_count=Count(f"{p}id"))
        .order_by("currency", "-overdue")
    )
    if limit is not None:
        rows = rows[:limit]
    out = []
    for row in rows:
        item = {k: v for k, v in row.items() if k != "overdue_count"}
        item["instalments"] = row["overdue_count"]
        out.append(_rounded(item, row["currency"]))
    _add_names(out, by)
    return out


def _add_names(rows: list[dict], by: str | None) -> None:
    if by == "customer":
        from crm.contacts.models import Company, Contact

        for model, key in ((Company, "company"), (Contact, "contact")):
            ids = {row[f"{key}_id"] for row in rows if row[f"{key}_id"]}
            names = dict(model.all_objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
            for row in rows:
                row[f"{key}_name"] = names.get(row[f"{key}_id"])
    elif by == "owner":
        from django.contrib.auth import get_user_model

        ids = {row["owner_id"] for row in rows if row["owner_id"]}
        users = {
            pk: (u, f)
            for pk, u, f in get_user_model().objects.filter(pk__in=ids).values_list("pk", "username", "full_name")
        }
        for row in rows:
            row["owner_username"], row["owner_full_name"] = users.get(row["owner_id"], (None, None))


def overdue_rows(user, *, today: datetime.date | None = None, **filters):
    """The overdue instalments, most overdue first, with their order and customer."""
    today = today or timezone.localdate()
    return (
        overdue_instalments(user, today=today, **filters)
        .select_related("order", "order__company", "order__contact", "order__owner")
        .annotate(unpaid=_unpaid())
        .order_by("due_date", "order_id", "sequence")
    )


def days_overdue(instalment, today: datetime.date | None = None) -> int:
    return ((today or timezone.localdate()) - instalment.due_date).days


def outstanding_by(user, *, group: str, **filters) -> list[dict]:
    """What is still owed per currency, grouped by ``owner`` or ``customer``: one query
    over the orders."""
    keys = ["currency"]
    if group == "owner":
        keys += ["owner_id", "owner__username", "owner__full_name"]
    elif group == "customer":
        keys += ["company_id", "company__name", "contact_id", "contact__name"]
    rows = (
        billed_orders(user, **filters)
        .filter(total__gt=F("paid_total"))
        .values(*keys)
        .annotate(orders=Count("pk"), outstanding=Sum(F("total") - F("paid_total"), output_field=MONEY))
        .order_by("currency", "-outstanding")
    )
    return [
        {
            **{k.replace("__", "_"): v for k, v in row.items()},
            "outstanding": money_round(row["outstanding"], row["currency"]),
        }
        for row in rows
    ]


# For one customer (the 360 pages) ---------------------------------------------------
CUSTOMER_FIELD = {"contacts.company": "company", "contacts.contact": "contact", "deals.deal": "deal"}


def customer_field(record) -> str | None:
    return CUSTOMER_FIELD.get(record._meta.label_lower)


def receivables_of(record, user, *, today: datetime.date | None = None) -> dict[str, dict]:
    """``{currency: {"outstanding", "overdue"}}`` for a company, contact or deal, in two
    queries (kept on the record for the page's two figures)."""
    cache = record.__dict__.setdefault("_orders_receivables", {})
    if user.pk in cache:
        return cache[user.pk]
    field = customer_field(record)
    today = today or timezone.localdate()
    orders = billed_orders(user).filter(**{field: record})
    figures: dict[str, dict] = {}
    for currency, outstanding in (
        orders.values("currency")
        .annotate(outstanding=Sum(F("total") - F("paid_total"), output_field=MONEY))
        .values_list("currency", "outstanding")
    ):
        figures.setdefault(currency, {"outstanding": Decimal(0), "overdue": Decimal(0)})["outstanding"] = money_round(
            outstanding or 0, currency
        )
    if figures:
        overdue = (
            Instalment.objects.filter(order__in=orders.values("pk"), due_date__lt=today, paid_amount__lt=F("amount"))
            .values("order__currency")
            .annotate(overdue=Sum(_unpaid()))
            .values_list("order__currency", "overdue")
        )
        for currency, amount in overdue:
            figures.setdefault(currency, {"outstanding": Decimal(0), "overdue": Decimal(0)})["overdue"] = money_round(
                amount or 0, currency
            )
    cache[user.pk] = figures
    return figures


def purchase_orders():
    """The orders that count as purchases (any currency): confirmed to completed, not in
    the recycle bin. The deals' purchase source leaves out the won deals they came from."""
    return Order.objects.filter(status__in=BILLED_STATUSES)
