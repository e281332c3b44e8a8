"""Every deals page opens, for the roles that use it, in both languages."""

import pytest
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.deals.models import DealContact

from .factories import DealFactory, default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(users):
    company = CompanyFactory(owner=users.owner)
    deal = DealFactory(owner=users.owner, company=company, next_step="Call 打电话")
    DealContact.objects.create(deal=deal, contact=ContactFactory(owner=users.owner, company=company), role="influencer")
    return deal


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_open(users, deal, client_for, language):
    pipeline = default_pipeline()
    stage = pipeline.stages.first()
    client = client_for(users.owner)
    client.cookies["django_language"] = language
    for url in [
        reverse("deals:deal_list"),
        reverse("deals:deal_list") + "?stale=true&team=1&min_amount=5",
        reverse("deals:deal_detail", args=[deal.pk]),
        reverse("deals:deal_stages", args=[deal.pk]),
        reverse("deals:deal_contacts", args=[deal.pk]),
        reverse("deals:deal_add"),
        reverse("deals:deal_edit", args=[deal.pk]),
        reverse("deals:board"),
        reverse("deals:board") + f"?pipeline={pipeline.pk}&owner={users.owner.pk}&min_amount=1",
        reverse("deals:board_column", args=[stage.pk]) + "?offset=0",
        reverse("deals:board_quick_edit", args=[deal.pk]),
        reverse("deals:stale_deals"),
        reverse("contacts:company_detail", args=[deal.company_id]),
        reverse("contacts:company_history", args=[deal.company_id]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content.decode()[:3000])
    admin = client_for(users.admin)
    admin.cookies["django_language"] = language
    for url in [
        reverse("deals:pipeline_list"),
        reverse("deals:pipeline_add"),
        reverse("deals:pipeline_edit", args=[pipeline.pk]),
        reverse("deals:stage_add", args=[pipeline.pk]),
        reverse("deals:stage_edit", args=[stage.pk]),
    ]:
        response = admin.get(url)
        assert response.status_code == 200, (url, response.content.decode()[:3000])
