"""Value tiers: a recency / frequency / monetary score and an A/B/C/D tier per customer.

What a customer bought comes from the purchase sources the apps owning the money
register (``crm.core.purchases``: won deals now, orders and payments later). The
scoring below is pure; ``tiers_recompute``
reads every source once, scores every customer that bought or had a tier, writes only
the rows whose values changed and keeps each tier change in ``TierChange``.

Scores (1 to 5 each, thresholds from ``TierSettings``):
- recency: a last purchase within the first threshold of days scores 5, within the
  second 4, … beyond the fourth 1;
- frequency and monetary: 1 plus one point for each threshold reached;
- tier: the sum (3 to 15) against the minimum scores of A, B and C; below C is D.
A customer who never bought has no tier.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.purchases import Purchases, purchases_of, register_purchase_source, unregister_purchase_source

from .models import Company, Contact, Tier, TierChange, TierSettings

__all__ = ["register_purchase_source", "unregister_purchase_source"]

ZERO = decimal.Decimal("0.00")
BATCH = 2000


@dataclass(frozen=True)
class Thresholds:
    recency_days: tuple[int, ...]
    frequency_counts: tuple[int, ...]
    monetary_amounts: tuple[decimal.Decimal, ...]
    tier_a_min: int
    tier_b_min: int
    tier_c_min: int

    @classmethod
    def of(cls, settings: TierSettings) -> Thresholds:
        return cls(
            recency_days=tuple(int(d) for d in settings.recency_days),
            frequency_counts=tuple(int(c) for c in settings.frequency_counts),
            monetary_amounts=tuple(decimal.Decimal(str(a)) for a in settings.monetary_amounts),
            tier_a_min=settings.tier_a_min,
            tier_b_min=settings.tier_b_min,
            tier_c_min=settings.tier_c_min,
        )


@dataclass(frozen=True)
class Score:
    recency: int
    frequency: int
    monetary: int
    tier: str

    @property
    def total(self) -> int:
        return self.recency + self.frequency + self.monetary

    @property
    def rfm(self) -> str:
        return f"{self.recency}{self.frequency}{self.monetary}"


def score_recency(days: int, thresholds: tuple[int, ...]) -> int:
    return 5 - sum(days > limit for limit in thresholds)


def score_at_least(value, thresholds) -> int:
    return 1 + sum(value >= limit for limit in thresholds)


def tier_of(total: int, t: Thresholds) -> str:
    if total >= t.tier_a_min:
        return Tier.A
    if total >= t.tier_b_min:
        return Tier.B
    if total >= t.tier_c_min:
        return Tier.C
    return Tier.D


def score(purchases: Purchases, t: Thresholds, *, now: datetime.datetime) -> Score | None:
    """The customer's scores, or None for a customer who never bought."""
    if purchases.last_at is None:
        return None
    days = max(0, (now - purchases.last_at).days)
    r = score_recency(days, t.recency_days)
    f = score_at_least(purchases.count, t.frequency_counts)
    m = score_at_least(purchases.amount, t.monetary_amounts)
    return Score(r, f, m, tier_of(r + f + m, t))


def tier_settings() -> TierSettings:
    settings, _created = TierSettings.objects.get_or_create(pk=1, defaults=TierSettings.DEFAULTS)
    return settings


_VALUE_FIELDS = ("tier", "rfm_recency", "rfm_frequency", "rfm_monetary", "lifetime_value", "last_purchase_at")


def _recompute_model(model, t: Thresholds, *, now, since, progress) -> dict[str, int]:
    bought = purchases_of(model, since=since)
    # Customers that bought, and customers that still carry values from an earlier run.
    rated = model.all_objects.filter(~Q(tier="") | ~Q(lifetime_value=0) | Q(last_purchase_at__isnull=False))
    ids = sorted(set(bought) | set(rated.values_list("pk", flat=True)))
    content_type = ContentType.objects.get_for_model(model)
    changed = tier_changes = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = model.all_objects.filter(pk__in=chunk).only("pk", *_VALUE_FIELDS)
        updates, history = [], []
        for row in rows:
            purchases = bought.get(row.pk, Purchases())
            new = score(purchases, t, now=now)
            values = {
                "tier": new.tier if new else "",
                "rfm_recency": new.recency if new else None,
                "rfm_frequency": new.frequency if new else None,
                "rfm_monetary": new.monetary if new else None,
                "lifetime_value": purchases.lifetime.quantize(ZERO),
                "last_purchase_at": purchases.last_at,
            }
            if all(getattr(row, name) == value for name, value in values.items()):
                continue
            if row.tier != values["tier"]:
                history.append(
                    TierChange(
                        content_type=content_type,
                        object_id=row.pk,
                        old_tier=row.tier,
                        new_tier=values["tier"],
                        rfm=new.rfm if new else "",
                        changed_at=now,
                    )
                )
            for name, value in values.items():
                setattr(row, name, value)
            row.tier_computed_at = now
            updates.append(row)
        with transaction.atomic():
            model.all_objects.bulk_update(updates, [*_VALUE_FIELDS, "tier_computed_at"], batch_size=500)
            TierChange.objects.bulk_create(history)
        changed += len(updates)
        tier_changes += len(history)
        if progress:
            progress(min(start + BATCH, len(ids)), total=len(ids))
    return {"customers": len(ids), "changed": changed, "tier_changes": tier_changes}


def tiers_recompute(*, now: datetime.datetime | None = None, progress=None) -> dict[str, dict[str, int]]:
    """Score every customer again; returns per record type what was looked at and changed.

    Safe to run twice, or at the same time as edits: it writes only the value fields,
    and a second run with the same purchases changes nothing."""
    now = now or timezone.now()
    settings = tier_settings()
    t = Thresholds.of(settings)
    since = now - datetime.timedelta(days=settings.window_days)
    return {
        model._meta.model_name: _recompute_model(model, t, now=now, since=since, progress=progress)
        for model in (Company, Contact)
    }


def tier_history(record, *, limit: int = 50):
    content_type = ContentType.objects.get_for_model(type(record))
    return TierChange.objects.filter(content_type=content_type, object_id=record.pk)[:limit]


def tier_distribution() -> dict[str, dict[str, int]]:
    """How many companies and contacts are in each tier, for the settings page (the
    partial index on rated rows answers it without reading the unrated millions)."""
    from django.db.models import Count

    result = {}
    for model in (Company, Contact):
        rows = model.objects.filter(~Q(tier="")).values("tier").annotate(n=Count("pk"))
        counts = {row["tier"]: row["n"] for row in rows}
        result[model._meta.model_name] = {tier: counts.get(tier, 0) for tier in Tier.values}
    return result
