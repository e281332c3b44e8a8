"""Converting a qualified lead: candidates, link or create, one transaction, links kept."""

import decimal
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import UnprocessableError, ValidationFailed
from crm.core.text import uscc_check_char
from crm.deals.models import Deal
from crm.leads.models import Lead, LeadStatus
from crm.leads.selectors import company_candidates, contact_candidates
from crm.leads.services import lead_convert

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(users):
    return LeadFactory(
        owner=users.owner,
        name="周杰",
        company_name="华信科技有限公司",
        email="zhou@huaxin.cn",
        phone="+8613800003333",
        status=LeadStatus.QUALIFIED,
        source="event",
    )


def test_candidates_ignore_legal_suffixes_and_follow_visibility(users, lead):
    same = CompanyFactory(name="华信科技", owner=users.teammate)
    similar = CompanyFactory(name="上海华信科技集团", owner=users.owner)
    hidden = CompanyFactory(name="华信科技 Co., Ltd.", owner=users.outsider)
    CompanyFactory(name="远大物流", owner=users.owner)
    found = company_candidates(lead=lead, user=users.owner)
    assert [c.record for c in found] == [same, similar]
    assert found[0].codes == ["same_name"] and found[1].codes == ["similar_name"]
    assert hidden not in [c.record for c in company_candidates(lead=lead, user=users.owner)]
    assert hidden in [c.record for c in company_candidates(lead=lead, user=users.admin)]

    coded = CompanyFactory(name="Totally different name", owner=users.owner, registration_number="91310000MA1FL0WXY3")
    by_code = company_candidates(lead=lead, user=users.owner, registration_number="91310000ma1fl0wxy3 ")
    assert by_code[0].record == coded and by_code[0].codes == ["registration_number"]

    by_mail = ContactFactory(owner=users.owner, email="zhou@huaxin.cn")
    by_phone = ContactFactory(owner=users.owner, email="other@x.cn", phone="+8613800003333")
    by_name = ContactFactory(owner=users.owner, name="周杰", email="")
    ContactFactory(owner=users.outsider, email="zhou@huaxin.cn")
    contacts = contact_candidates(lead=lead, user=users.owner)
    assert [(c.record, c.codes) for c in contacts] == [
        (by_mail, ["email"]),
        (by_phone, ["phone"]),
        (by_name, ["same_name"]),
    ]


def test_link_company_create_contact_and_deal_in_one_step(users, lead):
    company = CompanyFactory(name="华信科技", owner=users.owner)
    converted = lead_convert(
        lead=lead,
        actor=users.owner,
        company=company,
        contact={},
        deal_data={"name": "华信 ERP", "amount": "120000.50"},
    )
    assert converted.status == LeadStatus.CONVERTED and converted.converted_at is not None
    contact = converted.converted_contact
    assert (contact.name, contact.email, contact.phone, contact.company) == (
        "周杰",
        "zhou@huaxin.cn",
        "+8613800003333",
        company,
    )
    deal = converted.converted_deal
    assert (deal.name, deal.amount, deal.company, deal.owner, deal.source) == (
        "华信 ERP",
        decimal.Decimal("120000.50"),
        company,
        users.owner,
        "event",
    )
    assert list(deal.contacts.all()) == [contact]
    assert converted.converted_company == company
    lead_type = ContentType.objects.get_for_model(Lead)
    entry = AuditEntry.objects.filter(content_type=lead_type, object_id=str(lead.pk), action="update").get()
    assert {"field": "status", "old": "qualified", "new": "converted"} in entry.changes
    with pytest.raises(UnprocessableError):
        lead_convert(lead=converted, actor=users.owner, contact={})


def test_a_failing_deal_leaves_nothing_behind(users, lead):
    before = (Company.objects.count(), Contact.objects.count(), Deal.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        lead_convert(lead=lead, actor=users.owner, company={}, contact={}, deal_data={"amount": "-5"})
    assert "deal.amount" in exc.value.fields
    assert (Company.objects.count(), Contact.objects.count(), Deal.objects.count()) == before
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED and lead.converted_company is None


def test_only_qualified_leads_convert_and_links_must_be_visible(users, lead):
    lead.status = LeadStatus.WORKING
    lead.save()
    with pytest.raises(UnprocessableError):
        lead_convert(lead=lead, actor=users.owner, contact={})
    lead.status = LeadStatus.QUALIFIED
    lead.save()
    hidden = CompanyFactory(owner=users.outsider)
    with pytest.raises(ValidationFailed):
        lead_convert(lead=lead, actor=users.owner, company=hidden)
    with pytest.raises(ValidationFailed):
        lead_convert(lead=lead, actor=users.owner)  # nothing to convert into


def test_convert_through_the_api(users, lead, api_for):
    company = CompanyFactory(name="Huaxin", owner=users.owner)
    api = api_for(users.owner)
    url = reverse("lead-convert", args=[lead.pk])
    hidden = CompanyFactory(owner=users.outsider)
    forged = api.post(url, {"company": {"id": hidden.pk}, "contact": {}}, format="json")
    assert forged.status_code == 400 and "company.id" in forged.json()["error"]["fields"]
    matches = api.get(reverse("lead-matches", args=[lead.pk])).json()
    assert matches["companies"] == [] and matches["contacts"] == []
    company.registration_number = "12345"
    company.save()
    matches = api.get(reverse("lead-matches", args=[lead.pk]), {"registration_number": "12345"}).json()
    assert matches["companies"] == [{"id": company.pk, "name": "Huaxin", "reasons": ["registration_number"]}]
    stale = api.post(url, {"contact": {}}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 409
    response = api.post(
        url,
        {"company": {"id": company.pk}, "contact": {"name": "周杰 Zhou"}, "deal": {"amount": "800"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "converted" and body["converted_company"] == company.pk
    deal = Deal.objects.get(pk=body["converted_deal"])
    assert deal.amount == decimal.Decimal("800.00") and deal.name == "华信科技有限公司"
    assert Contact.objects.get(pk=body["converted_contact"]).name == "周杰 Zhou"
    again = api.post(url, {"contact": {}}, format="json")
    assert again.status_code == 422 and again.json()["error"]["code"] == "unprocessable"
    assert api_for(users.teammate).post(url, {"contact": {}}, format="json").status_code == 403
    assert api_for(users.outsider).post(url, {"contact": {}}, format="json").status_code == 404


def test_convert_through_the_page(users, lead, client_for):
    company = CompanyFactory(name="华信科技", owner=users.owner)
    client = client_for(users.owner)
    url = reverse("leads:lead_convert", args=[lead.pk])
    html = client.get(url).content.decode()
    assert company.get_absolute_url() in html and "Same name" in html
    form = {
        "company_action": "link",
        "company": company.pk,
        "contact_action": "create",
        "create_deal": "on",
        "deal_name": "华信试点",
        "deal_amount": "5000",
        "version": lead.version,
    }
    bad = client.post(url, {**form, "deal_amount": "-1"})
    assert bad.status_code == 400 and not Deal.objects.exists()
    # A refusal by another app's service lands on the field it concerns, nothing is kept.
    first17 = "91310000MA1FL8WXY"
    wrong = next(c for c in "0123456789" if c != uscc_check_char(first17))
    bad_code = client.post(
        url,
        {**form, "company_action": "create", "company_name": "新公司", "company_registration_number": first17 + wrong},
    )
    assert bad_code.status_code == 400 and not Deal.objects.exists()
    assert not Company.objects.filter(name="新公司").exists()
    html = bad_code.content.decode()
    assert re.search(
        r'id="id_company_registration_number"[^>]*>\s*<ul class="errorlist"[^>]*>\s*<li>[^<]*check character', html
    )
    missing = client.post(url, {**form, "company": ""})
    assert missing.status_code == 400 and "Choose the company" in missing.content.decode()
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_deal.name == "华信试点"
    detail = client.get(lead.get_absolute_url()).content.decode()
    assert lead.converted_deal.get_absolute_url() in detail and company.get_absolute_url() in detail
    assert client.get(url).status_code == 302  # already converted: back to the lead
    # The contact's page points back at the lead.
    assert lead.get_absolute_url() in client.get(lead.converted_contact.get_absolute_url()).content.decode()
