"""Company size, source, region and the parent company (never a cycle)."""

import pytest
from django.urls import reverse

from crm.contacts import services
from crm.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def make(users, name, **data):
    return services.company_create(actor=users.owner, data={"name": name, **data})


def test_new_fields_are_stored_and_shown(users, client_for, api_for):
    group = make(users, "华润集团")
    company = make(users, "华润万家", size="1000+", source="referral", region="华南 South China", parent=group)
    detail = client_for(users.owner).get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    assert "More than 1000 employees" in detail and "Referral" in detail and "华南 South China" in detail
    assert group.get_absolute_url() in detail
    body = api_for(users.owner).get(f"/api/v1/companies/{company.pk}/").json()
    assert (body["size"], body["source"], body["parent"]) == ("1000+", "referral", group.pk)
    listed = api_for(users.owner).get("/api/v1/companies/", {"parent": group.pk}).json()["results"]
    assert [row["id"] for row in listed] == [company.pk]


def test_unknown_choice_is_refused(users):
    with pytest.raises(ValidationFailed) as caught:
        make(users, "X", size="huge")
    assert "size" in caught.value.fields


def test_a_company_cannot_be_its_own_parent_or_under_a_subsidiary(users):
    top = make(users, "Top")
    middle = make(users, "Middle", parent=top)
    bottom = make(users, "Bottom", parent=middle)
    for parent in (top, bottom, middle):
        with pytest.raises(ValidationFailed) as caught:
            services.company_update(instance=top, actor=users.owner, data={"parent": parent if parent != top else top})
        assert "parent" in caught.value.fields, parent
    # Moving a subsidiary elsewhere in the tree is fine.
    other = make(users, "Other")
    assert services.company_update(instance=bottom, actor=users.owner, data={"parent": other}).parent == other


def test_api_refuses_a_cycle_and_an_invisible_parent(users, api_for):
    top = make(users, "Top")
    child = make(users, "Child", parent=top)
    api = api_for(users.owner)
    response = api.patch(f"/api/v1/companies/{top.pk}/", {"parent": child.pk}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]
    foreign = services.company_create(actor=users.outsider, data={"name": "Foreign"})
    response = api.patch(f"/api/v1/companies/{child.pk}/", {"parent": foreign.pk}, format="json")
    assert response.status_code == 400


def test_api_refuses_links_to_records_the_caller_cannot_see(users, api_for):
    from django.urls import reverse

    from crm.contacts.tests.factories import CompanyFactory

    hidden = CompanyFactory(owner=users.outsider)
    api = api_for(users.owner)
    contact = api.post(reverse("contact-list"), {"name": "李雷", "company": hidden.pk}, format="json")
    assert contact.status_code == 400 and list(contact.json()["error"]["fields"]) == ["company"]
    company = api.post(reverse("company-list"), {"name": "子公司", "parent": hidden.pk}, format="json")
    assert company.status_code == 400 and list(company.json()["error"]["fields"]) == ["parent"]
