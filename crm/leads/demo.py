"""Demo leads: in proportion to the contacts, from every source and in every status, plus
one web form and one assignment rule. Bulk inserts in batches, so the large demo
(200,000 leads) loads in about a minute.

Used by ``seed_demo`` and by the web form benchmark (bench/leads.py).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import AssignmentRule, Lead, LeadSource, LeadStatus, WebForm
from .services import lead_search_text

BATCH = 5_000
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
FIRST_EN = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Lucy", "Mark"]
LAST_EN = ["Smith", "Brown", "Miller", "Wilson", "Taylor", "Clark", "Lewis", "Walker", "Young", "King"]
COMPANIES_ZH = ["星河", "远航", "华信", "博通", "鼎盛", "汇丰", "金桥", "蓝海", "中科", "天成", "瑞达", "恒信"]
TRADES_ZH = ["科技", "物流", "贸易", "制造", "软件", "医疗器械", "餐饮管理", "建筑工程"]
COMPANIES_EN = ["Northwind", "Bluebird", "Summit", "Keystone", "Harbor", "Pioneer", "Evergreen", "Silverline"]
TRADES_EN = ["Logistics", "Software", "Trading", "Foods", "Robotics", "Medical"]
REGIONS = ["华东", "华北", "华南", "西南", "华中", "东北", "East China", "North China", "South China", ""]
TITLES = ["采购经理", "总经理", "IT 主管", "运营总监", "Purchasing manager", "CTO", "Office manager", ""]
CAMPAIGNS = ["2026 春季展会 Spring expo", "官网改版 Website relaunch", "Webinar: CRM 101", ""]
REASONS = ["没有预算 No budget", "选择了竞争对手 Chose a competitor", "联系不上 Unreachable", "Not a fit"]
MOBILE_PREFIXES = ["138", "139", "135", "136", "150", "151", "186", "187", "158", "159", "177", "188"]
# Sources and statuses in the proportions a CRM in use shows.
SOURCE_WEIGHTS = [
    (LeadSource.WEB_FORM, 35),
    (LeadSource.EVENT, 15),
    (LeadSource.REFERRAL, 12),
    (LeadSource.CAMPAIGN, 15),
    (LeadSource.IMPORT, 10),
    (LeadSource.MANUAL, 10),
    (LeadSource.OTHER, 3),
]
STATUS_WEIGHTS = [
    (LeadStatus.NEW, 35),
    (LeadStatus.WORKING, 25),
    (LeadStatus.QUALIFIED, 12),
    (LeadStatus.DISQUALIFIED, 18),
    (LeadStatus.CONVERTED, 10),
]


def _weighted(rnd: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rnd.choices(values, weights=weights)[0]


def lead_row(rnd: random.Random, n: int) -> dict:
    """The fields of one lead, as a visitor or a rep would type them (already normalised)."""
    if rnd.random() < 0.75:
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + (rnd.choice(GIVEN) if rnd.random() < 0.5 else "")
        company = f"{rnd.choice(COMPANIES_ZH)}{rnd.choice(TRADES_ZH)}有限公司"
    else:
        name = f"{rnd.choice(FIRST_EN)} {rnd.choice(LAST_EN)}"
        company = f"{rnd.choice(COMPANIES_EN)} {rnd.choice(TRADES_EN)} Co., Ltd."
    row = {
        "name": name,
        "company_name": company if rnd.random() < 0.85 else "",
        "title": rnd.choice(TITLES),
        "email": f"lead{n}@example.com" if rnd.random() < 0.8 else "",
        "phone": f"+86{rnd.choice(MOBILE_PREFIXES)}{rnd.randrange(10**8):08d}" if rnd.random() < 0.7 else "",
        "region": rnd.choice(REGIONS),
        "score": rnd.choice([0, 10, 20, 35, 50, 65, 80, 95]),
    }
    row["search_text"] = lead_search_text(
        name=row["name"], company_name=row["company_name"], title=row["title"], email=row["email"], phone=row["phone"]
    )
    return row


def seed_web_form(*, team_id: int | None = None) -> WebForm:
    """The demo's public form ("Contact us" on the website), round-robin over a sales team."""
    web_form, _created = WebForm.objects.get_or_create(
        key="demo-contact-us",
        defaults={
            "name": "Website: contact us 官网咨询",
            "fields": [
                {"name": "name", "label_en": "Your name", "label_zh": "您的姓名", "required": True},
                {"name": "company_name", "label_en": "Company", "label_zh": "公司名称", "required": False},
                {"name": "email", "label_en": "E-mail", "label_zh": "电子邮箱", "required": True},
                {"name": "phone", "label_en": "Phone", "label_zh": "手机号码", "required": False},
                {"name": "description", "label_en": "How can we help?", "label_zh": "需求描述", "required": False},
            ],
            "title_en": "Talk to our sales team",
            "title_zh": "联系我们的销售团队",
            "thank_you_en": "Thank you! A sales rep will contact you within one working day.",
            "thank_you_zh": "感谢您的咨询！销售代表将在一个工作日内与您联系。",
            "team_id": team_id,
            "source": LeadSource.WEB_FORM,
            "campaign": "官网改版 Website relaunch",
            "tag": "官网 Website",
        },
    )
    return web_form


def seed_leads(
    *,
    total: int,
    owners: list[int],
    seed: int = 2026,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """``total`` leads owned by ``owners``, with one web form and one assignment rule.

    Converted leads point at existing contacts (and their companies), so their links
    lead somewhere. Returns the number of leads made."""
    from crm.contacts.models import Contact

    rnd = random.Random(seed + 7)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    team_id = (
        get_user_model().objects.filter(pk__in=owners, team__isnull=False).values_list("team_id", flat=True).first()
    )
    web_form = seed_web_form(team_id=team_id)
    if team_id is not None:
        AssignmentRule.objects.get_or_create(
            name="展会线索 Event leads", defaults={"position": 10, "source": LeadSource.EVENT, "team_id": team_id}
        )
    converted_targets = list(
        Contact.objects.filter(company__isnull=False).order_by("pk").values_list("pk", "company_id")[:5000]
    )
    made = 0
    for start in range(0, total, BATCH):
        batch = []
        for n in range(start, min(total, start + BATCH)):
            row = lead_row(rnd, n)
            source = _weighted(rnd, SOURCE_WEIGHTS)
            status = _weighted(rnd, STATUS_WEIGHTS)
            if status == LeadStatus.CONVERTED and not converted_targets:
                status = LeadStatus.QUALIFIED
            created = now - datetime.timedelta(days=int(rnd.triangular(0, 365, 0)), seconds=rnd.randrange(86400))
            lead = Lead(
                **row,
                source=source,
                status=status,
                campaign=rnd.choice(CAMPAIGNS) if source in {LeadSource.CAMPAIGN, LeadSource.EVENT} else "",
                web_form_id=web_form.pk if source == LeadSource.WEB_FORM else None,
                owner_id=rnd.choice(owners) if owners else None,
                created_at=created,
                updated_at=created,
            )
            if status == LeadStatus.DISQUALIFIED:
                lead.disqualify_reason = rnd.choice(REASONS)
            elif status == LeadStatus.CONVERTED:
                lead.converted_contact_id, lead.converted_company_id = rnd.choice(converted_targets)
                lead.converted_at = min(now, created + datetime.timedelta(days=rnd.randint(1, 30)))
            batch.append(lead)
        with transaction.atomic():
            Lead.objects.bulk_create(batch)
        made += len(batch)
        if progress is not None:
            progress("leads", made, total)
    return made
