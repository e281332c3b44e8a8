"""Demo deals: in proportion to the contacts, across both default pipelines, with
stage histories, contacts with roles, and some stale ones. Bulk inserts in batches,
so a million contacts' worth (500,000 deals) loads in minutes.

Used by ``seed_demo`` and by the board benchmark (bench/deals.py).
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import Deal, DealContact, DealContactRole, DealSource, DealStageChange, Pipeline, Stage, StageKind
from .services import deal_search_text

BATCH = 5_000
PRODUCTS = [
    "云服务器 Cloud servers",
    "数据平台 Data platform",
    "ERP 升级 ERP upgrade",
    "安全审计 Security audit",
    "办公套件 Office suite",
    "客服系统 Help desk",
    "物联网网关 IoT gateways",
    "培训服务 Training",
    "年度维保 Annual support",
    "CRM 实施 CRM rollout",
]
NEXT_STEPS = [
    "发送报价 Send the quote",
    "安排演示 Book a demo",
    "技术交流 Technical workshop",
    "确认预算 Confirm the budget",
    "合同评审 Contract review",
    "拜访客户 Customer visit",
    "Follow-up call",
]
REASONS_WON = ["价格合适 Good price", "技术领先 Best technical fit", "老客户 Existing customer", "Fast delivery"]
REASONS_LOST = ["预算不足 No budget", "选择了竞争对手 Chose a competitor", "项目取消 Project cancelled", "Timing"]
ROLES = [r.value for r in DealContactRole]
SOURCES = [s.value for s in DealSource]


@contextlib.contextmanager
def _keep_updated_at():
    """bulk_create would stamp every demo deal's updated_at with now (auto_now); the
    demo wants the time of its last move, so that some deals are stale."""
    field = Deal._meta.get_field("updated_at")
    field.auto_now = False
    try:
        yield
    finally:
        field.auto_now = True


def _stage_path(stages: list[Stage], target: Stage, rnd: random.Random) -> list[Stage]:
    """The stages a deal went through to reach ``target``: open ones in order, then the end."""
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    if target.kind == StageKind.OPEN:
        return open_stages[: open_stages.index(target) + 1]
    reached = rnd.randint(1, len(open_stages))
    return [*open_stages[:reached], target]


def seed_deals(
    *,
    total: int,
    owners: list[int],
    seed: int = 2026,
    with_contacts: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Create ``total`` demo deals owned by ``owners``. Returns how many were made.

    Companies and contacts come from the database (a sample of up to 200,000
    contacts, each deal getting one of them with its company, and sometimes a
    second person); pipelines and stages are those of migration 0002.
    """
    from crm.contacts.models import Contact

    if total <= 0 or not owners:
        return 0
    rnd = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    today = timezone.localdate(now)
    pipelines = list(Pipeline.objects.filter(active=True).order_by("position", "id"))
    stages = {p.pk: list(Stage.objects.filter(pipeline=p).order_by("position", "id")) for p in pipelines}
    pipelines = [p for p in pipelines if any(s.kind == StageKind.OPEN for s in stages[p.pk])]
    if not pipelines:
        return 0
    weights = [4 if p.is_default else 1 for p in pipelines]
    people = list(Contact.objects.order_by("pk").values_list("pk", "company_id", "company__name")[:200_000])
    made = 0
    for start in range(0, total, BATCH):
        count = min(BATCH, total - start)
        deals, paths, contacts = [], [], []
        for _n in range(count):
            pipeline = rnd.choices(pipelines, weights)[0]
            pipeline_stages = stages[pipeline.pk]
            roll = rnd.random()
            closed = [s for s in pipeline_stages if s.kind != StageKind.OPEN]
            opens = [s for s in pipeline_stages if s.kind == StageKind.OPEN]
            if roll < 0.2 and closed:
                stage = next((s for s in closed if s.kind == StageKind.WON), closed[0])
            elif roll < 0.32 and closed:
                stage = next((s for s in closed if s.kind == StageKind.LOST), closed[-1])
            else:
                stage = opens[min(len(opens) - 1, int(rnd.random() ** 1.6 * len(opens)))]
            path = _stage_path(pipeline_stages, stage, rnd)
            created = now - datetime.timedelta(days=rnd.randint(0, 540), seconds=rnd.randrange(86400))
            # The moves are spread between creation and now (or the closing day).
            span = (now - created).total_seconds()
            times = sorted(created + datetime.timedelta(seconds=rnd.random() * span) for _ in path[1:])
            times = [created, *times]
            person = rnd.choice(people) if (people and with_contacts) else None
            company_id, company_name = (person[1], person[2]) if person else (None, None)
            product = rnd.choice(PRODUCTS)
            amount = decimal.Decimal(int(rnd.lognormvariate(11, 1.1) // 100 * 100 + 1000))
            is_open = stage.kind == StageKind.OPEN
            next_date = None
            if is_open and rnd.random() < 0.8:
                # A fifth of the next steps are overdue: those deals show as stale.
                next_date = today + datetime.timedelta(days=rnd.randint(-20, 40))
            name = f"{(company_name or '新客户')[:24]} · {product}"
            deal = Deal(
                name=name,
                search_text=deal_search_text(name),
                company_id=company_id,
                pipeline_id=pipeline.pk,
                stage_id=stage.pk,
                status=stage.kind,
                amount=min(amount, decimal.Decimal("50000000")),
                currency="USD" if rnd.random() < 0.08 else "CNY",
                expected_close_date=(
                    today + datetime.timedelta(days=rnd.randint(-15, 180)) if is_open else times[-1].date()
                ),
                source=rnd.choice(SOURCES),
                next_step=rnd.choice(NEXT_STEPS) if next_date else "",
                next_step_date=next_date,
                products_interest=product,
                close_reason=""
                if is_open
                else rnd.choice(REASONS_WON if stage.kind == StageKind.WON else REASONS_LOST),
                closed_at=None if is_open else times[-1],
                stage_changed_at=times[-1],
                last_activity_at=None,
                owner_id=rnd.choice(owners),
                created_at=created,
                updated_at=times[-1],
            )
            deals.append(deal)
            paths.append(list(zip(path, times, strict=True)))
            if person:
                second = rnd.choice(people) if rnd.random() < 0.3 else None
                extra = [(second[0], "")] if second and second != person else []
                contacts.append([(person[0], rnd.choice(ROLES)), *extra])
            else:
                contacts.append([])
        with transaction.atomic(), _keep_updated_at():
            saved = Deal.objects.bulk_create(deals)
            if saved and saved[0].pk is None:
                ids = list(Deal.objects.order_by("-pk").values_list("pk", flat=True)[: len(deals)])[::-1]
                for deal, pk in zip(saved, ids, strict=True):
                    deal.pk = pk
            history, links = [], []
            for deal, path, people_on_deal in zip(saved, paths, contacts, strict=True):
                previous = None
                for stage, when in path:
                    history.append(
                        DealStageChange(
                            deal_id=deal.pk,
                            from_stage_id=previous[0].pk if previous else None,
                            to_stage_id=stage.pk,
                            changed_at=when,
                            changed_by_id=deal.owner_id,
                            seconds_in_stage=int((when - previous[1]).total_seconds()) if previous else None,
                        )
                    )
                    previous = (stage, when)
                links.extend(DealContact(deal_id=deal.pk, contact_id=c, role=r) for c, r in people_on_deal)
            DealStageChange.objects.bulk_create(history, batch_size=BATCH)
            DealContact.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        made += count
        if progress:
            progress("deals", made, total)
    return made
