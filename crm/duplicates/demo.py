"""Demo duplicates: copies of some existing contacts and companies with the mistakes
real data has (the name in pinyin, a typo, another legal form, a missing e-mail),
inserted in bulk, then the scan, so the review page has pairs to show.

Used by ``seed_demo`` after the companies and contacts exist.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.db import transaction

from . import engine, services

BATCH = 2_000


def _name_variant(rnd: random.Random, name: str) -> str:
    has_cjk, _text, tokens = engine.latin_tokens(name)
    if has_cjk and tokens:
        # 张伟 -> "Zhang Wei" (or "Wei Zhang"), as a colleague types it.
        words = [t.title() for t in tokens]
        if len(words) > 2:
            words = [words[0], "".join(words[1:]).title()]
        return " ".join(words if rnd.random() < 0.7 else reversed(words))
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) > 4:
        i = rnd.choice(letters[2:])
        return name[:i] + name[i + 1 :]  # one letter missing
    return name.upper()


def _company_variant(rnd: random.Random, name: str) -> str:
    key = engine.company_key(name)
    if key and key != name.lower().replace(" ", ""):
        return key if engine.latin_tokens(key)[0] else name.split(" Co")[0].split(" Ltd")[0].upper()
    return f"{name}有限公司" if engine.latin_tokens(name)[0] else f"{name} Ltd"


def seed_duplicates(
    *, contacts: int = 30, companies: int = 10, seed: int = 2026, progress: Callable | None = None
) -> dict:
    """Copy ``contacts`` contacts and ``companies`` companies as likely duplicates, then
    scan both types. Returns the scan's counts."""
    from crm.contacts.models import Company, Contact
    from crm.contacts.services import company_search_text, contact_search_text

    rnd = random.Random(seed)  # noqa: S311 - demo data
    made = {"contacts": 0, "companies": 0}
    with transaction.atomic():
        ids = list(Company.objects.order_by("pk").values_list("pk", flat=True)[:5000])
        copies = []
        for company in Company.objects.filter(pk__in=rnd.sample(ids, min(companies, len(ids)))):
            name = _company_variant(rnd, company.name)
            copies.append(
                Company(
                    name=name,
                    registration_number=company.registration_number if rnd.random() < 0.5 else "",
                    phone=company.phone,
                    email=company.email,
                    region=company.region,
                    owner_id=company.owner_id,
                    search_text=company_search_text(
                        name=name,
                        registration_number=company.registration_number,
                        email=company.email,
                        phone=company.phone,
                    ),
                )
            )
        Company.objects.bulk_create(copies, batch_size=BATCH)
        made["companies"] = len(copies)
        ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:20000])
        copies = []
        for contact in Contact.objects.filter(pk__in=rnd.sample(ids, min(contacts, len(ids)))):
            name = _name_variant(rnd, contact.name)
            keep_email = rnd.random() < 0.6 or not contact.phone
            email = contact.email if keep_email else ""
            phone = contact.phone if (not keep_email or rnd.random() < 0.5) else ""
            copies.append(
                Contact(
                    name=name,
                    email=email,
                    phone=phone,
                    company_id=contact.company_id,
                    title=contact.title,
                    owner_id=contact.owner_id,
                    search_text=contact_search_text(
                        name=name, title=contact.title, email=email, emails=[], phone=phone, phones=[]
                    ),
                )
            )
        Contact.objects.bulk_create(copies, batch_size=BATCH)
        made["contacts"] = len(copies)
    if progress:
        progress("duplicates", made["contacts"] + made["companies"], made["contacts"] + made["companies"])
    result = {"copies": made}
    for kind in engine.KINDS:
        result[kind] = services.duplicates_scan(kind=kind)
    return result
