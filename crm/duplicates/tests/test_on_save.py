"""The warning before a new company or contact that looks like an existing one is saved."""

import pytest
from django.urls import reverse

from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.duplicates import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(users):
    acme = CompanyFactory(
        name="Acme Robotics Co., Ltd.", registration_number="", phone="+862155501234", owner=users.owner
    )
    contact = ContactFactory(name="张伟", email="zw@acme.cn", phone="+8613800138000", company=acme, owner=users.owner)
    return {"acme": acme, "contact": contact}


def test_same_email_phone_or_similar_name_in_the_company_are_found(existing, users):
    found = selectors.contact_matches(user=users.owner, data={"name": "Someone", "email": "ZW@Acme.cn"})
    assert [m.record for m in found] == [existing["contact"]]
    assert "same_email" in [r["code"] for r in found[0].reasons]
    found = selectors.contact_matches(user=users.owner, data={"name": "X", "phone": "138 0013 8000"})
    assert [m.record for m in found] == [existing["contact"]]
    found = selectors.contact_matches(user=users.owner, data={"name": "Zhang Wei", "company": existing["acme"]})
    assert [m.record for m in found] == [existing["contact"]]
    assert selectors.contact_matches(user=users.owner, data={"name": "Zhang Wei"}) == []
    assert selectors.contact_matches(user=users.owner, data={"name": "李娜", "company": existing["acme"]}) == []


def test_hidden_records_are_never_mentioned(existing, users):
    assert selectors.contact_matches(user=users.outsider, data={"name": "张伟", "email": "zw@acme.cn"}) == []


def test_company_matches_by_code_phone_or_name_without_legal_form(existing, users):
    found = selectors.company_matches(user=users.owner, data={"name": "ACME Robotics"})
    assert [m.record for m in found] == [existing["acme"]]
    found = selectors.company_matches(user=users.owner, data={"name": "Other", "phone": "021 5550 1234"})
    assert [m.record for m in found] == [existing["acme"]]
    assert selectors.company_matches(user=users.owner, data={"name": "Globex Trading"}) == []


def test_the_form_warns_with_links_then_saves_anyway(existing, users, client_for):
    c = client_for(users.owner)
    data = {"name": "Zhang Wei", "email": "zw@acme.cn", "company": existing["acme"].pk}
    response = c.post(reverse("contacts:contact_add"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="duplicate-warning"' in html and existing["contact"].get_absolute_url() in html
    assert "Same e-mail" in html and 'name="save_anyway"' in html
    assert Contact.objects.count() == 1
    response = c.post(reverse("contacts:contact_add"), {**data, "save_anyway": "1"})
    assert response.status_code == 302
    assert Contact.objects.count() == 2


def test_the_form_does_not_warn_for_a_new_person_or_an_edit(existing, users, client_for):
    c = client_for(users.owner)
    response = c.post(reverse("contacts:contact_add"), {"name": "李娜", "email": "lina@example.com"})
    assert response.status_code == 302
    contact = existing["contact"]
    response = c.post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {"name": "张伟", "email": "zw@acme.cn", "version": contact.version, "company": existing["acme"].pk},
    )
    assert response.status_code == 302


def test_the_company_form_warns_too(existing, users, client_for):
    c = client_for(users.owner)
    response = c.post(reverse("contacts:company_add"), {"name": "Acme Robotics Ltd"})
    assert response.status_code == 400 and 'id="duplicate-warning"' in response.content.decode()
    assert Company.objects.count() == 1


def test_api_create_lists_duplicates_or_refuses(existing, users, api_for):
    api = api_for(users.owner)
    data = {"name": "Zhang Wei", "email": "zw@acme.cn"}
    refused = api.post("/api/v1/contacts/?on_duplicate=refuse", data, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"]["code"] == "duplicate"
    assert [d["id"] for d in body["duplicates"]] == [existing["contact"].pk]
    assert Contact.objects.count() == 1
    created = api.post("/api/v1/contacts/", data, format="json")
    assert created.status_code == 201
    assert [d["id"] for d in created.json()["duplicates"]] == [existing["contact"].pk]
    fresh = api.post("/api/v1/contacts/", {"name": "王芳", "on_duplicate": "refuse"}, format="json")
    assert fresh.status_code == 201 and fresh.json()["duplicates"] == []


def test_api_check_endpoint(existing, users, api_for):
    api = api_for(users.owner)
    body = api.get("/api/v1/duplicates/check/", {"type": "contact", "email": "zw@acme.cn"}).json()
    assert [d["id"] for d in body["duplicates"]] == [existing["contact"].pk]
    body = api.get("/api/v1/duplicates/check/", {"type": "company", "name": "acme robotics"}).json()
    assert [d["id"] for d in body["duplicates"]] == [existing["acme"].pk]
    assert api.get("/api/v1/duplicates/check/", {"type": "deal"}).status_code == 400
    hidden = api_for(users.outsider).get("/api/v1/duplicates/check/", {"type": "contact", "email": "zw@acme.cn"})
    assert hidden.json()["duplicates"] == []


def test_the_check_is_a_few_indexed_queries(existing, users, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        selectors.contact_matches(
            user=users.admin,
            data={"name": "Zhang Wei", "email": "zw@acme.cn", "phone": "13800138000", "company": existing["acme"]},
        )
