"""Deals written directly (bulk is fine): the forecasts read them, they do not make them."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import factory
from django.conf import settings

from crm.deals.models import Deal, DealStageChange, DealStatus, Pipeline, Stage, StageKind
from crm.forecasts.models import ForecastSnapshot, Quota

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name_en = factory.Sequence(lambda n: f"Sales {n}")
    name_zh = factory.Sequence(lambda n: f"销售 {n}")
    is_default = False


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name_en = factory.Sequence(lambda n: f"Stage {n}")
    name_zh = factory.Sequence(lambda n: f"阶段 {n}")
    position = factory.Sequence(lambda n: n)
    probability = 10
    kind = StageKind.OPEN


STAGES = [
    # name_en, name_zh, probability, kind
    ("Lead", "线索", 10, StageKind.OPEN),
    ("Qualified", "已确认", 30, StageKind.OPEN),
    ("Proposal", "方案", 60, StageKind.OPEN),
    ("Negotiation", "谈判", 80, StageKind.OPEN),
    ("Won", "赢单", 100, StageKind.WON),
    ("Lost", "输单", 0, StageKind.LOST),
]


def make_pipeline(*, default: bool = True, name: str = "Sales") -> tuple[Pipeline, dict[str, Stage]]:
    if default:  # the deals app's migration made default pipelines of its own
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = PipelineFactory(name_en=name, name_zh="销售流程", is_default=default)
    stages = {}
    for position, (en, zh, probability, kind) in enumerate(STAGES):
        stages[en.lower()] = StageFactory(
            pipeline=pipeline, name_en=en, name_zh=zh, position=position, probability=probability, kind=kind
        )
    return pipeline, stages


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    stage = factory.SubFactory(StageFactory)
    pipeline = factory.LazyAttribute(lambda o: o.stage.pipeline)
    amount = Decimal("1000.00")
    currency = settings.DEFAULT_CURRENCY
    expected_close_date = datetime.date(2026, 11, 15)
    status = factory.LazyAttribute(lambda o: o.stage.kind)
    closed_at = factory.LazyAttribute(
        lambda o: datetime.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI) if o.stage.kind != StageKind.OPEN else None
    )


def deal(stage: Stage, owner, amount="1000", **kw) -> Deal:
    return DealFactory(stage=stage, owner=owner, amount=Decimal(amount), **kw)


def moved(deal_: Deal, *stages_at: tuple[Stage, datetime.datetime]) -> list[DealStageChange]:
    """Stage changes of a deal: each (stage, when) a move into that stage."""
    rows, previous = [], None
    for stage, at in stages_at:
        rows.append(DealStageChange(deal=deal_, from_stage=previous, to_stage=stage, changed_at=at))
        previous = stage
    return DealStageChange.objects.bulk_create(rows)


def at(year, month, day, hour=12) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    period_kind = "quarter"
    period_start = datetime.date(2026, 10, 1)
    amount = Decimal("10000.00")


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastSnapshot

    period_kind = "quarter"
    period_start = datetime.date(2026, 10, 1)
    week_start = datetime.date(2026, 10, 5)
    taken_at = factory.LazyFunction(lambda: datetime.datetime(2026, 10, 5, 6, 30, tzinfo=SHANGHAI))


__all__ = ["DealStatus"]
