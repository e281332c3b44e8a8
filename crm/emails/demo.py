"""Demo e-mail templates: two in English and two in Chinese, shared with everyone, with
the merge fields a sales team uses most. ``seed_demo`` calls ``seed_email_templates``."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from .models import EmailTemplate

BATCH = 500

DEMO_TEMPLATES = [
    {
        "name": "First contact",
        "language": "en",
        "subject": "{{ company.name }} and us: a short introduction",
        "body": (
            "Dear {{ contact.first_name }},\n\n"
            "Thank you for your time on the phone. As promised, here is a short overview of how we help "
            "teams like yours at {{ company.name }}.\n\n"
            "Could we set up a 30-minute call next week?\n\n"
            "Best regards,\n{{ user.name }}\n{{ user.email }}\n{{ user.phone }}"
        ),
    },
    {
        "name": "Quote follow-up",
        "language": "en",
        "subject": "Your quote for {{ deal.name }}",
        "body": (
            "Dear {{ contact.name }},\n\n"
            "I wanted to check whether you had a chance to review our quote for {{ deal.name }}. "
            "I am happy to go through it with you or adjust it to your needs.\n\n"
            "Kind regards,\n{{ user.name }}"
        ),
    },
    {
        "name": "初次联系",
        "language": "zh-hans",
        "subject": "{{ company.name }}您好：我们的简要介绍",
        "body": (
            "尊敬的{{ contact.name }}：\n\n"
            "您好！感谢您抽出时间与我们通话。按照约定，附上我们为{{ company.name }}这样的团队提供的服务简介。\n\n"
            "请问下周是否方便安排三十分钟的电话会议？\n\n"
            "此致\n敬礼\n\n{{ user.name }}\n{{ user.email }}\n{{ user.phone }}"
        ),
    },
    {
        "name": "报价跟进",
        "language": "zh-hans",
        "subject": "关于「{{ deal.name }}」的报价",
        "body": (
            "{{ contact.last_name }}{{ contact.title }}您好：\n\n"
            "想跟您确认一下，我们为「{{ deal.name }}」提供的报价您是否已经看过？"
            "如有任何疑问，或需要根据您的需求调整，请随时与我联系。\n\n"
            "祝好！\n{{ user.name }}"
        ),
    },
]


def seed_email_templates(*, owner=None, seed: int = 2026, progress: Callable | None = None) -> int:
    """The demo templates, shared with everyone and owned by ``owner`` (an
    administrator, say). Run twice, it adds nothing: templates of the same name and
    language are kept. Returns how many were created. The texts are fixed, so ``seed``
    changes nothing; it is there so every app's seed function is called alike."""
    existing = set(EmailTemplate.objects.values_list("name", "language"))
    rows = [
        EmailTemplate(owner=owner, shared=True, active=True, **spec)
        for spec in DEMO_TEMPLATES
        if (spec["name"], spec["language"]) not in existing
    ]
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            EmailTemplate.objects.bulk_create(rows[start : start + BATCH])
            if progress is not None:
                progress(min(start + BATCH, len(rows)), total=len(rows))
    return len(rows)
