"""Every leads page reads in Chinese with no English left (the check tests/test_translations.py uses)."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory
from crm.leads.models import AssignmentRule, LeadStatus
from crm.leads.services import lead_create
from tests.test_translations import _CJK, all_messages, compiled_catalog, english_leftovers  # noqa: F401

from .factories import WebFormFactory

pytestmark = pytest.mark.django_db


def test_leads_pages_have_no_english_left(users, client_for, compiled_catalog, all_messages):  # noqa: F811
    CompanyFactory(name="华信科技", owner=users.admin)
    lead = lead_create(
        actor=users.admin, data={"name": "周杰", "company_name": "华信科技有限公司", "region": "华东"}, tags=["展会"]
    )
    qualified = lead_create(actor=users.admin, data={"name": "李明", "company_name": "华信科技"})
    from crm.leads.services import lead_set_status

    lead_set_status(lead=qualified, actor=users.admin, status=LeadStatus.QUALIFIED)
    rule = AssignmentRule.objects.create(name="华东", region="华东", user=users.owner)
    web_form = WebFormFactory(owner=users.owner, title_zh="联系我们")
    client = client_for(users.admin)
    client.cookies["django_language"] = "zh-hans"
    pages = [
        reverse("leads:lead_list"),
        reverse("leads:lead_add"),
        reverse("leads:lead_detail", args=[lead.pk]),
        reverse("leads:lead_history", args=[lead.pk]),
        reverse("leads:lead_edit", args=[lead.pk]),
        reverse("leads:lead_status", args=[lead.pk]),
        reverse("leads:lead_convert", args=[qualified.pk]),
        reverse("leads:rule_list"),
        reverse("leads:rule_add"),
        reverse("leads:rule_edit", args=[rule.pk]),
        reverse("leads:webform_list"),
        reverse("leads:webform_add"),
        reverse("leads:webform_edit", args=[web_form.pk]),
    ]
    problems = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _CJK.search(html), url
        leftovers = english_leftovers(html, all_messages)
        if leftovers:
            problems[url] = leftovers
    visitor = Client()
    public = reverse("leads:public_form", args=[web_form.key])
    for response in (
        visitor.get(public, HTTP_ACCEPT_LANGUAGE="zh-CN"),
        visitor.post(public + "?lang=zh-hans", {"name": ""}),
        visitor.post(public + "?lang=zh-hans", {"name": "访客"}),
    ):
        html = response.content.decode()
        leftovers = english_leftovers(html, all_messages)
        if leftovers:
            problems[f"{public} {response.status_code}"] = leftovers
        assert 'lang="zh-Hans"' in html
    assert problems == {}
    nav = client.get(reverse("core:dashboard")).content.decode()
    assert "线索" in nav and "网页表单" in nav and "线索分配" in nav
