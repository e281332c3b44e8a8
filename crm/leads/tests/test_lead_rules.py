"""A lead's own rules: normalised input, search text, status changes and their reasons."""

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.core.errors import UnprocessableError, ValidationFailed
from crm.core.text import search_query
from crm.leads.models import Lead, LeadStatus
from crm.leads.services import lead_create, lead_set_status, lead_update

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_input_is_normalised_and_searchable(users):
    lead = lead_create(
        actor=users.owner,
        data={
            "name": "王　小明",
            "email": "WXM@Example.COM",
            "phone": "１３８ ０００１ ２３４５",
            "company_name": "星河科技",
        },
    )
    assert lead.name == "王 小明"
    assert lead.email == "wxm@example.com"
    assert lead.phone == "+8613800012345"
    assert lead.owner == users.owner  # no rule matched: the creator owns it
    lead.refresh_from_db()
    for term in ("wangxiaoming", "wxm", "13800012345", "星河", "xinghe"):
        assert search_query(term) in lead.search_text, term


def test_bad_phone_and_email_are_refused_with_field_messages(users):
    with pytest.raises(ValidationFailed) as exc:
        lead_create(actor=users.owner, data={"name": "A", "email": "not-mail", "phone": "12"})
    assert set(exc.value.fields) == {"email", "phone"}
    assert not Lead.objects.exists()


def test_status_cannot_be_set_by_an_edit(users):
    lead = LeadFactory(owner=users.owner)
    with pytest.raises(ValidationFailed) as exc:
        lead_update(instance=lead, actor=users.owner, data={"status": "qualified"})
    assert "status" in exc.value.fields


def test_disqualifying_needs_a_reason(users):
    lead = LeadFactory(owner=users.owner)
    with pytest.raises(ValidationFailed) as exc:
        lead_set_status(lead=lead, actor=users.owner, status=LeadStatus.DISQUALIFIED, reason="  ")
    assert "disqualify_reason" in exc.value.fields
    lead = lead_set_status(lead=lead, actor=users.owner, status=LeadStatus.DISQUALIFIED, reason="No budget")
    assert (lead.status, lead.disqualify_reason, lead.version) == ("disqualified", "No budget", 2)
    # Back to working clears the reason.
    lead = lead_set_status(lead=lead, actor=users.owner, status=LeadStatus.WORKING, reason="ignored")
    assert lead.disqualify_reason == ""
    entry = (
        AuditEntry.objects.filter(object_repr=lead.name, object_id=str(lead.pk), action="update")
        .order_by("-id")
        .first()
    )
    assert {"field": "status", "old": "disqualified", "new": "working"} in entry.changes


def test_converted_is_reached_only_by_converting(users):
    lead = LeadFactory(owner=users.owner)
    with pytest.raises(ValidationFailed):
        lead_set_status(lead=lead, actor=users.owner, status=LeadStatus.CONVERTED)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CONVERTED)
    lead.refresh_from_db()
    with pytest.raises(UnprocessableError):
        lead_set_status(lead=lead, actor=users.owner, status=LeadStatus.NEW)


def test_status_through_the_api_and_the_page(users, api_for, client_for):
    lead = LeadFactory(owner=users.owner)
    api = api_for(users.owner)
    url = reverse("lead-status", args=[lead.pk])
    bad = api.post(url, {"status": "disqualified"}, format="json")
    assert bad.status_code == 400 and "disqualify_reason" in bad.json()["error"]["fields"]
    assert api.post(url, {"status": "converted"}, format="json").status_code == 400
    ok = api.post(url, {"status": "qualified"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["status"] == "qualified" and ok["ETag"] == '"2"'
    stale = api.post(url, {"status": "working"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert api_for(users.teammate).post(url, {"status": "new"}, format="json").status_code == 403
    assert api_for(users.outsider).post(url, {"status": "new"}, format="json").status_code == 404

    client = client_for(users.owner)
    page = reverse("leads:lead_status", args=[lead.pk])
    assert client.get(page).status_code == 200
    response = client.post(page, {"status": "disqualified", "reason": "", "version": 2})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    response = client.post(page, {"status": "disqualified", "reason": "Went with a competitor", "version": 2})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "disqualified"
    assert client_for(users.teammate).get(page).status_code == 403
    assert client_for(users.outsider).get(page).status_code == 404


def test_search_by_pinyin_and_phone_on_the_list_and_api(users, client_for, api_for):
    lead = lead_create(actor=users.owner, data={"name": "赵敏", "phone": "13912345678"})
    other = lead_create(actor=users.owner, data={"name": "Other person"})
    ids = {r["id"] for r in api_for(users.owner).get(reverse("lead-list"), {"q": "zhaomin"}).json()["results"]}
    assert ids == {lead.pk}
    ids = {r["id"] for r in api_for(users.owner).get(reverse("lead-list"), {"q": "139 1234 5678"}).json()["results"]}
    assert ids == {lead.pk}
    html = client_for(users.owner).get(reverse("leads:lead_list"), {"q": "zm"}).content.decode()
    assert lead.get_absolute_url() in html and other.get_absolute_url() not in html


def test_the_api_refuses_unknown_choices_and_read_only_status(users, api_for):
    api = api_for(users.owner)
    bad = api.post(reverse("lead-list"), {"name": "X", "source": "telepathy", "score": 101}, format="json")
    assert bad.status_code == 400
    assert {"source", "score"} <= set(bad.json()["error"]["fields"])
    made = api.post(reverse("lead-list"), {"name": "Y", "source": "event", "status": "qualified"}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "new" and made.json()["source"] == "event"


def test_global_search_and_its_dropdown_find_leads(users, client_for):
    lead = lead_create(actor=users.owner, data={"name": "欧阳娜娜", "phone": "13512345678"})
    client = client_for(users.owner)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        html = client.get(reverse("core:search"), {"q": "ouyang"}, **headers).content.decode()
        assert lead.get_absolute_url() in html
    assert (
        lead.get_absolute_url()
        not in client_for(users.outsider).get(reverse("core:search"), {"q": "ouyang"}).content.decode()
    )
