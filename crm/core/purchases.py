"""What customers bought, as the apps that own the money report it.

An app registers a *purchase source* in its ``AppConfig.ready()``:

    register_purchase_source(won_deal_purchases)

A source is ``source(model, since) -> iterable of (pk, last_at, count, amount, lifetime)``
for ``model`` (a customer record type: Company or Contact): the customer's last
purchase, the number and amount of purchases since ``since`` (the window) and the
amount of all purchases ever, in the default currency. Several sources add up. The
value tiers (``crm.contacts.tiers``) read them; the sources need not know who reads.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ZERO = decimal.Decimal("0.00")

PurchaseRow = tuple[int, datetime.datetime | None, int, decimal.Decimal, decimal.Decimal]
PurchaseSource = Callable[[type, datetime.datetime], Iterable[PurchaseRow]]
_sources: list[PurchaseSource] = []


def register_purchase_source(source: PurchaseSource) -> None:
    if source not in _sources:
        _sources.append(source)


def unregister_purchase_source(source: PurchaseSource) -> None:
    if source in _sources:
        _sources.remove(source)


@dataclass
class Purchases:
    last_at: datetime.datetime | None = None
    count: int = 0
    amount: decimal.Decimal = ZERO
    lifetime: decimal.Decimal = ZERO

    def add(self, last_at, count, amount, lifetime) -> None:
        if last_at is not None and (self.last_at is None or last_at > self.last_at):
            self.last_at = last_at
        self.count += int(count or 0)
        self.amount += decimal.Decimal(amount or 0)
        self.lifetime += decimal.Decimal(lifetime or 0)


def purchases_of(model, *, since: datetime.datetime) -> dict[int, Purchases]:
    found: dict[int, Purchases] = {}
    for source in _sources:
        for pk, last_at, count, amount, lifetime in source(model, since):
            found.setdefault(pk, Purchases()).add(last_at, count, amount, lifetime)
    return found
