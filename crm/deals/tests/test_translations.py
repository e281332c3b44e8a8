"""The deals pages in Chinese show no English left, and the app's catalog is complete."""

import gettext
import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.deals.models import DealContact
from crm.deals.services import deal_create, deal_move_stage

from .factories import default_pipeline, stage

pytestmark = pytest.mark.django_db
BASE = Path(settings.BASE_DIR)
CATALOGS = [BASE / "crm/deals/locale/zh_Hans/LC_MESSAGES/django.po", BASE / "locale/zh_Hans/LC_MESSAGES/django.po"]
CJK = re.compile(r"[\u4e00-\u9fff]")
SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|data-confirm|data-[a-z-]+)="([^"]*)"')
# Proper names and codes that read the same in both languages.
SAME = {"CRM", "CNY", "USD", "API", "English"}


@pytest.fixture(scope="module")
def english():
    """Every English message of the catalogs (compiled first if a .po is newer)."""
    texts = set()
    for po in CATALOGS:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            if shutil.which("msgfmt") is None:
                pytest.skip("msgfmt is missing; run make messages")
            subprocess.run(["msgfmt", "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603, S607
        with mo.open("rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        for key in catalog:
            msgid = key[0] if isinstance(key, tuple) else key
            if msgid and "%" not in msgid and msgid not in SAME:
                texts.add(msgid[:1].upper() + msgid[1:] if re.fullmatch(r"[a-z]+", msgid) else msgid)
    return texts


def leftovers(page: str, english: set[str]) -> list[str]:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    shown = {html_lib.unescape(t).strip() for t in SHOWN_ATTRIBUTES.findall(page)}
    shown |= {html_lib.unescape(t).strip() for t in re.split(r"<[^>]*>", page)}
    found = set()
    for text in shown:
        for piece in {text, text.rstrip(":：…").strip(), text.strip("+←→↑↓▾·() ").strip()}:
            if piece in english:
                found.add(piece)
    return sorted(found)


def test_deals_pages_in_chinese_have_no_english_left(users, client_for, english):
    company = CompanyFactory(owner=users.admin, name="华信科技")
    contact = ContactFactory(owner=users.admin, name="王芳", company=company)
    deal = deal_create(
        actor=users.admin,
        data={"name": "华信 数据平台", "company": company, "amount": "1000", "next_step": "电话"},
        contacts=[(contact, "decision_maker")],
    )
    deal_move_stage(deal=deal, stage=stage(index=1), actor=users.admin)
    lost = deal_create(actor=users.admin, data={"name": "华信 旧项目", "company": company})
    deal_move_stage(deal=lost, stage=stage("lost"), actor=users.admin, reason="预算不足")
    pipeline = default_pipeline()
    client = client_for(users.admin)
    client.cookies["django_language"] = "zh-hans"
    pages = [
        reverse("deals:deal_list"),
        reverse("deals:deal_list") + "?stale=false",
        reverse("deals:deal_detail", args=[deal.pk]),
        reverse("deals:deal_history", args=[deal.pk]),
        reverse("deals:deal_stages", args=[deal.pk]),
        reverse("deals:deal_contacts", args=[deal.pk]),
        reverse("deals:deal_add"),
        reverse("deals:deal_edit", args=[deal.pk]),
        reverse("deals:board"),
        reverse("deals:board_quick_edit", args=[deal.pk]),
        reverse("deals:board_column", args=[stage(index=1).pk]),
        reverse("deals:stale_deals"),
        reverse("deals:pipeline_list"),
        reverse("deals:pipeline_edit", args=[pipeline.pk]),
        reverse("deals:pipeline_add"),
        reverse("deals:stage_edit", args=[stage().pk]),
        reverse("contacts:company_detail", args=[company.pk]),
        reverse("contacts:company_history", args=[company.pk]),
        reverse("contacts:contact_detail", args=[contact.pk]),
    ]
    problems = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert CJK.search(page), url
        found = leftovers(page, english)
        if found:
            problems[url] = found
    assert problems == {}
    board = client.get(reverse("deals:board")).content.decode()
    assert "商机看板" in board and "赢单" in board and "这个商机为什么赢单？" in board
    company_page = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "进行中的商机" in company_page and "累计赢单" in company_page


def test_the_check_notices_english(users, client_for, english):
    client = client_for(users.admin)
    page = client.get(reverse("deals:board")).content.decode()
    assert {"Deals board", "Why was this deal won?", "Move the deal"} <= set(leftovers(page, english))


def test_demo_data_is_bilingual(users):
    from crm.deals.demo import seed_deals
    from crm.deals.models import Deal

    ContactFactory(owner=users.owner, company=CompanyFactory(owner=users.owner))
    assert seed_deals(total=30, owners=[users.owner.pk], seed=7) == 30
    assert Deal.objects.count() == 30
    assert DealContact.objects.exists()
    assert all(d.stage.pipeline_id == d.pipeline_id for d in Deal.objects.select_related("stage"))
    assert {d.status for d in Deal.objects.all()} <= {"open", "won", "lost"}
    closed = Deal.objects.exclude(status="open")
    assert all(d.close_reason and d.closed_at for d in closed)
    for deal in Deal.objects.all()[:10]:
        rows = list(deal.stage_changes.order_by("changed_at", "id"))
        assert rows[0].from_stage_id is None and rows[-1].to_stage_id == deal.stage_id
        assert deal.updated_at == deal.stage_changed_at
