import datetime

import factory
from django.utils import timezone

from crm.deals.models import Deal, DealStageChange, Pipeline, Stage, StageKind
from crm.deals.services import deal_search_text

DEFAULT_STAGES = [
    ("Qualification", "资格确认", 10, StageKind.OPEN),
    ("Needs analysis", "需求分析", 25, StageKind.OPEN),
    ("Proposal", "方案报价", 50, StageKind.OPEN),
    ("Negotiation", "商务谈判", 75, StageKind.OPEN),
    ("Won", "赢单", 100, StageKind.WON),
    ("Lost", "输单", 0, StageKind.LOST),
]


def default_pipeline() -> Pipeline:
    """The default pipeline made by migration 0002; created again when a transactional
    test emptied the tables."""
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name_en="New business", name_zh="新业务", is_default=True)
        for i, (en, zh, probability, kind) in enumerate(DEFAULT_STAGES):
            Stage.objects.create(
                pipeline=pipeline, name_en=en, name_zh=zh, probability=probability, kind=kind, position=i
            )
    return pipeline


def stage(kind=StageKind.OPEN, index=0, pipeline=None) -> Stage:
    return list((pipeline or default_pipeline()).stages.filter(kind=kind).order_by("position"))[index]


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline
        skip_postgeneration_save = True

    name_en = factory.Sequence(lambda n: f"Pipeline {n}")
    name_zh = factory.Sequence(lambda n: f"管道 {n}")
    position = factory.Sequence(lambda n: n + 10)

    @factory.post_generation
    def with_stages(obj, create, extracted, **kwargs):
        if extracted is False:
            return
        for i, (en, zh, probability, kind) in enumerate(DEFAULT_STAGES[:2] + DEFAULT_STAGES[4:]):
            Stage.objects.create(pipeline=obj, name_en=en, name_zh=zh, probability=probability, kind=kind, position=i)


class DealFactory(factory.django.DjangoModelFactory):
    """A deal as deal_create leaves it: in its pipeline's first stage, with the first
    stage history row."""

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"云平台采购 Cloud deal {n}")
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").first())
    status = factory.LazyAttribute(lambda o: o.stage.kind)
    amount = factory.Sequence(lambda n: 1000 + n)
    currency = "CNY"
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    stage_changed_at = factory.LazyFunction(timezone.now)
    closed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status != "open" else None)
    # What the services would store, so searches find factory-made deals.
    search_text = factory.LazyAttribute(lambda o: deal_search_text(o.name))

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            DealStageChange.objects.create(deal=obj, to_stage=obj.stage, changed_at=obj.stage_changed_at)
