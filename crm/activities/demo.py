"""Demo activities: calls, meetings, notes, logged e-mails and tasks on the demo's
contacts, companies, deals and leads, so that the timelines, "last contact", my day and
the calendar have something real to show. Inserted in batches; the records' last
activity dates are then set from them in one statement per table."""

from __future__ import annotations

import datetime
import functools
import random
from collections.abc import Callable

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from .models import Activity, ActivityKind, CallDirection, Priority
from .services import activity_search_text

BATCH = 5_000
CALLS = [
    ("电话回访 Follow-up call", "客户对方案感兴趣，约定下周演示。"),
    ("首次电话 First call", "Introduced our services; they asked for pricing."),
    ("确认需求 Requirements call", "确认了用户数量和上线时间。"),
    ("催款电话 Payment reminder call", "财务说本周五前付款。"),
    ("Renewal call 续约沟通", "They want a two-year renewal with a discount."),
]
OUTCOMES = [
    "约定演示 Demo booked",
    "需要报价 Wants a quote",
    "无人接听 No answer",
    "已解决 Resolved",
    "Call back later",
]
MEETINGS = [
    ("产品演示 Product demo", "客户会议室 Customer office"),
    ("技术交流 Technical workshop", "线上会议 Online"),
    ("商务谈判 Commercial negotiation", "我司会议室 Our office"),
    ("项目启动会 Kick-off meeting", "客户现场 On site"),
]
NOTES = [
    (
        "拜访纪要 Visit notes",
        "<p>客户<b>预算已批</b>，下季度采购。</p><ul><li>决策人：采购总监</li><li>竞争对手：两家</li></ul>",
    ),
    ("Note 备注", "<p>Prefers e-mail over phone. Speaks English and 中文.</p>"),
    ("竞争情况 Competition", "<p>对手报价低 <i>10%</i>，但交付周期长。</p>"),
]
EMAILS = [
    ("报价单已发送 Quote sent", "已将报价单发送给客户，等待反馈。"),
    ("Meeting follow-up", "Thanks for your time today. Attached are the slides we discussed."),
    ("合同草稿 Draft contract", "请查收合同草稿，如有修改意见请告知。"),
]
TASKS = [
    "发送报价 Send the quote",
    "准备演示 Prepare the demo",
    "回电客户 Call the customer back",
    "跟进付款 Chase the payment",
    "更新方案 Update the proposal",
    "Send the contract",
]
KINDS = [ActivityKind.CALL] * 7 + [ActivityKind.NOTE] * 4 + [ActivityKind.MEETING] * 3 + [ActivityKind.EMAIL] * 2
KINDS += [ActivityKind.TASK] * 4


def _subjects(kind: str, rnd: random.Random) -> dict:
    if kind == ActivityKind.CALL:
        subject, body = rnd.choice(CALLS)
        return {
            "subject": subject,
            "body": body,
            "direction": rnd.choice([CallDirection.OUTBOUND, CallDirection.OUTBOUND, CallDirection.INBOUND]),
            "duration_minutes": rnd.choice([2, 5, 8, 12, 20, 35]),
            "outcome": rnd.choice(OUTCOMES),
        }
    if kind == ActivityKind.MEETING:
        subject, place = rnd.choice(MEETINGS)
        return {"subject": subject, "place": place}
    if kind == ActivityKind.NOTE:
        subject, body = rnd.choice(NOTES)
        return {"subject": subject, "body": body}
    if kind == ActivityKind.EMAIL:
        subject, body = rnd.choice(EMAILS)
        return {"subject": subject, "body": body}
    return {"subject": rnd.choice(TASKS), "priority": rnd.choice([Priority.NORMAL, Priority.NORMAL, Priority.HIGH])}


@functools.lru_cache(maxsize=1024)
def _search_text(subject: str, place: str, outcome: str) -> str:
    # The demo's subjects come from short lists: pinyin once per distinct text.
    return activity_search_text(subject=subject, place=place, outcome=outcome)


def _row(kind: str, link: dict, owner_id: int, now: datetime.datetime, rnd: random.Random) -> Activity:
    fields = _subjects(kind, rnd)
    fields["search_text"] = _search_text(fields["subject"], fields.get("place", ""), fields.get("outcome", ""))
    created = now - datetime.timedelta(days=rnd.randint(0, 180), minutes=rnd.randint(0, 1440))
    activity = Activity(kind=kind, owner_id=owner_id, created_at=created, **link, **fields)
    if kind == ActivityKind.TASK:
        # Overdue, due today and upcoming tasks, so my day has all three.
        due = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=rnd.randint(-24 * 10, 24 * 14))
        activity.due_at = due
        done = due < now and rnd.random() < 0.6
        activity.done = done
        activity.done_at = due if done else None
        activity.occurred_at = due if done else created
    elif kind == ActivityKind.MEETING:
        start = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(
            hours=rnd.randint(-24 * 60, 24 * 21)
        )
        start = start.replace(hour=rnd.choice([1, 2, 3, 6, 7, 8]))  # 09:00-16:00 in China
        activity.occurred_at = start
        activity.end_at = start + datetime.timedelta(minutes=rnd.choice([30, 60, 90]))
    else:
        activity.occurred_at = created
    return activity


def _targets(limit: int, rnd: random.Random) -> list[tuple[dict, int]]:
    """(links, owner) pairs: contacts with their company, deals with theirs, leads."""
    from crm.contacts.models import Contact
    from crm.deals.models import Deal
    from crm.leads.models import Lead

    found: list[tuple[dict, int]] = []
    for pk, company_id, owner_id in Contact.objects.values_list("pk", "company_id", "owner_id")[:limit]:
        found.append(({"contact_id": pk, "company_id": company_id}, owner_id))
    for pk, company_id, owner_id in Deal.objects.values_list("pk", "company_id", "owner_id")[: limit // 2]:
        found.append(({"deal_id": pk, "company_id": company_id}, owner_id))
    for pk, owner_id in Lead.objects.values_list("pk", "owner_id")[: limit // 5]:
        found.append(({"lead_id": pk}, owner_id))
    rnd.shuffle(found)
    return found


def seed_activities(
    *,
    total: int,
    owners: list[int],
    seed: int = 2026,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """About ``total`` activities on the existing records (their owners log them), then
    the records' last activity dates. Returns the number made."""
    if total <= 0 or not owners:
        return 0
    rnd = random.Random(seed + 11)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    targets = _targets(max(total // 3, 1), rnd)
    if not targets:
        return 0
    made = 0
    while made < total:
        rows = []
        for n in range(made, min(made + BATCH, total)):
            link, owner_id = targets[n % len(targets)]
            rows.append(_row(rnd.choice(KINDS), link, owner_id or rnd.choice(owners), now, rnd))
        with transaction.atomic():
            Activity.objects.bulk_create(rows)
        made += len(rows)
        if progress:
            progress("activities", made, total)
    touch_last_activity()
    return made


def touch_last_activity() -> None:
    """Every record's last activity from the activities that count as contact."""
    from crm.contacts.models import Company, Contact
    from crm.deals.models import Deal
    from crm.leads.models import Lead

    counts = Q(deleted_at__isnull=True, occurred_at__lte=timezone.now()) & (~Q(kind=ActivityKind.TASK) | Q(done=True))
    for model, field in ((Company, "company"), (Contact, "contact"), (Deal, "deal"), (Lead, "lead")):
        last = (
            Activity.objects.filter(counts, **{field: OuterRef("pk")})
            .values(field)
            .annotate(at=Max("occurred_at"))
            .values("at")
        )
        model.all_objects.filter(pk__in=Activity.objects.filter(counts).values(f"{field}_id")).update(
            last_activity_at=Subquery(last)
        )
