"""The demo leads: every source and status, bilingual, searchable, with a working web form."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.leads.demo import seed_leads
from crm.leads.models import AssignmentRule, Lead, LeadSource, LeadStatus, WebForm

pytestmark = pytest.mark.django_db


def test_demo_leads_cover_sources_and_statuses(users):
    company = CompanyFactory(owner=users.owner)
    ContactFactory(owner=users.owner, company=company)
    owners = [users.owner.pk, users.teammate.pk]
    assert seed_leads(total=600, owners=owners) == 600
    assert Lead.objects.count() == 600
    assert set(Lead.objects.values_list("source", flat=True)) == set(LeadSource.values)
    assert set(Lead.objects.values_list("status", flat=True)) == set(LeadStatus.values)
    assert not Lead.objects.filter(status="disqualified", disqualify_reason="").exists()
    assert not Lead.objects.filter(status="converted", converted_contact__isnull=True).exists()
    assert set(Lead.objects.values_list("owner_id", flat=True)) == set(owners)
    chinese = Lead.objects.filter(name__regex=r"[\u4e00-\u9fff]").count()
    assert 300 < chinese < 580
    assert not Lead.objects.filter(search_text="").exists()
    web_form = WebForm.objects.get()
    assert Lead.objects.filter(web_form=web_form).count() == Lead.objects.filter(source="web_form").count()
    assert AssignmentRule.objects.filter(source="event", team=users.owner.team).exists()
    # The demo form takes submissions, round-robin over the sales team.
    response = Client().post(reverse("leads:public_form", args=[web_form.key]), {"name": "访客", "email": "v@x.cn"})
    assert response.status_code == 200
    assert Lead.objects.order_by("-pk").first().owner.team == users.owner.team
