"""Deals are found by name and its pinyin, through the stored search text (a trigram
index serves it on PostgreSQL), in the list, the API and the top-bar search."""

import pytest
from django.urls import reverse

from crm.deals.models import Deal
from crm.deals.services import deal_create, deal_update

from .factories import default_pipeline

pytestmark = pytest.mark.django_db


def test_the_services_write_the_search_text_outside_the_audit_log(users):
    default_pipeline()
    deal = deal_create(actor=users.owner, data={"name": "云平台采购 Cloud", "amount": 1000})
    assert "yunpingtai" in deal.search_text and "ypt" in Deal.objects.get(pk=deal.pk).search_text
    deal = deal_update(instance=deal, actor=users.owner, data={"name": "数据中心 Data centre"})
    stored = Deal.objects.get(pk=deal.pk)
    assert "shujuzhongxin" in stored.search_text and "yunpingtai" not in stored.search_text
    from crm.audit.models import AuditEntry

    fields = {c["field"] for e in AuditEntry.objects.filter(object_id=str(deal.pk)) for c in e.changes}
    assert "search_text" not in fields


def test_list_api_and_global_search_find_a_deal_by_pinyin(users, client_for, api_for):
    default_pipeline()
    deal = deal_create(actor=users.owner, data={"name": "智慧园区 Smart campus", "amount": 1000})
    other = deal_create(actor=users.owner, data={"name": "办公套件 Office suite", "amount": 1000})
    client = client_for(users.owner)
    html = client.get(reverse("deals:deal_list"), {"q": "zhihuiyuan"}).content.decode()
    assert deal.get_absolute_url() in html and other.get_absolute_url() not in html
    ids = {row["id"] for row in api_for(users.owner).get(reverse("deal-list"), {"q": "zhyq"}).json()["results"]}
    assert ids == {deal.pk}
    html = client.get(reverse("core:search"), {"q": "智慧"}).content.decode()
    assert deal.get_absolute_url() in html
    outsider = client_for(users.outsider).get(reverse("core:search"), {"q": "智慧"}).content.decode()
    assert deal.get_absolute_url() not in outsider
