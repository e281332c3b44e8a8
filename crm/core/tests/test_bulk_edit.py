"""Bulk edit: the same values on many records, from the list page and the API, all or
nothing, skipping records the user may see but not change."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.models import CustomField

pytestmark = pytest.mark.django_db
BULK_EDIT = "contacts:contact_bulk_edit"


def fresh(model, pk):
    return model.all_objects.get(pk=pk)


def test_the_form_shows_the_bulk_fields_for_the_selection(users, client_for):
    a = ContactFactory(owner=users.owner)
    b = ContactFactory(owner=users.owner)
    response = client_for(users.owner).post(reverse(BULK_EDIT), {"ids": [a.pk, b.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Edit 2 contacts" in html
    assert 'name="change_title"' in html and 'name="change_company"' in html
    assert 'name="change_name"' not in html  # a name is not set on many records at once


def test_only_ticked_fields_change_and_each_change_is_audited(users, client_for):
    company = CompanyFactory(owner=users.owner)
    a = ContactFactory(owner=users.owner, title="Engineer", preferred_language="en")
    b = ContactFactory(owner=users.owner, title="Buyer", preferred_language="zh-hans")
    response = client_for(users.owner).post(
        reverse(BULK_EDIT),
        {
            "ids": [a.pk, b.pk],
            "apply": "1",
            "change_company": "on",
            "company": company.pk,
            "title": "ignored: not ticked",
            "next": reverse("contacts:contact_list"),
        },
    )
    assert response.status_code == 302
    for contact, title, language in ((a, "Engineer", "en"), (b, "Buyer", "zh-hans")):
        saved = fresh(Contact, contact.pk)
        assert (saved.company_id, saved.title, saved.preferred_language) == (company.pk, title, language)
        entry = AuditEntry.objects.filter(object_id=str(contact.pk), action="update").get()
        assert [c["field"] for c in entry.changes] == ["company"]


def test_records_the_user_may_not_change_are_skipped(users, client_for):
    mine = ContactFactory(owner=users.owner)
    teammates = ContactFactory(owner=users.teammate, title="Old")  # a rep reads the team's, writes only own
    client = client_for(users.owner)
    response = client.post(
        reverse(BULK_EDIT),
        {"ids": [mine.pk, teammates.pk], "apply": "1", "change_title": "on", "title": "Head of sales"},
        follow=True,
    )
    assert "1 record updated." in response.content.decode()
    assert "1 record was skipped: you may not change it." in response.content.decode()
    assert fresh(Contact, mine.pk).title == "Head of sales" and fresh(Contact, teammates.pk).title == "Old"


def test_one_record_refusing_the_change_leaves_all_unchanged(users, client_for):
    parent = CompanyFactory(owner=users.owner, name="Parent")
    other = CompanyFactory(owner=users.owner, name="Other")
    response = client_for(users.owner).post(
        reverse("contacts:company_bulk_edit"),
        {"ids": [other.pk, parent.pk], "apply": "1", "change_parent": "on", "parent": parent.pk},
    )
    assert response.status_code == 400
    assert "could not be changed, so nothing was" in response.content.decode()
    assert fresh(Company, other.pk).parent_id is None and fresh(Company, parent.pk).parent_id is None
    assert not AuditEntry.objects.filter(action="update").exists()


def test_nothing_ticked_is_an_error(users, client_for):
    contact = ContactFactory(owner=users.owner)
    response = client_for(users.owner).post(reverse(BULK_EDIT), {"ids": [contact.pk], "apply": "1", "title": "x"})
    assert response.status_code == 400
    assert "Tick at least one field to change." in response.content.decode()


def test_select_all_takes_the_lists_filter_and_custom_fields_can_be_set(users, client_for):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        name="level",
        label_en="Level",
        label_zh="级别",
        field_type="choice",
        choices=["A", "B"],
    )
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        name="region",
        label_en="Region",
        label_zh="区域",
        field_type="text",
    )
    hit = ContactFactory(owner=users.owner, name="Wang Fang", custom_fields={"region": "kept"})
    miss = ContactFactory(owner=users.owner, name="Li Lei")
    url = reverse(BULK_EDIT) + "?q=wang"
    response = client_for(users.owner).post(url, {"select_all": "1"})
    assert "Edit 1 contact</h1>" in response.content.decode()
    client_for(users.owner).post(url, {"select_all": "1", "apply": "1", "change_cf_level": "on", "cf_level": "B"})
    assert fresh(Contact, hit.pk).custom_fields == {"region": "kept", "level": "B"}
    assert fresh(Contact, miss.pk).custom_fields == {}
    # An edit of many records never clears a custom field nobody ticked.
    assert 'name="change_cf_region"' in response.content.decode()


def test_bulk_edit_needs_the_change_permission(users, client_for):
    from django.contrib.auth.models import Permission

    users.owner.role.permissions.remove(Permission.objects.get(codename="change_contact"))
    contact = ContactFactory(owner=users.owner)
    assert client_for(users.owner).post(reverse(BULK_EDIT), {"ids": [contact.pk]}).status_code == 403


# API ---------------------------------------------------------------------------------------


def test_api_bulk_update_add_tags_and_delete(users, api_for):
    api = api_for(users.owner)
    a = ContactFactory(owner=users.owner, title="x")
    b = ContactFactory(owner=users.owner, title="y")
    teammates = ContactFactory(owner=users.teammate, title="z")
    response = api.post(
        "/api/v1/contacts/bulk/",
        {
            "ids": [a.pk, b.pk, teammates.pk],
            "action": "update",
            "data": {"title": "采购经理", "phone": "138 0013 8000"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"done": 2, "skipped": [teammates.pk]}
    assert fresh(Contact, a.pk).phone == "+8613800138000"  # the same normalisation as one edit
    assert fresh(Contact, teammates.pk).title == "z"
    tagged = api.post("/api/v1/contacts/bulk/", {"ids": [a.pk], "action": "add_tags", "tags": ["展会"]}, format="json")
    assert tagged.json()["done"] == 1 and list(fresh(Contact, a.pk).tags.values_list("name", flat=True)) == ["展会"]
    deleted = api.post("/api/v1/contacts/bulk/", {"ids": [a.pk, b.pk], "action": "delete"}, format="json")
    assert deleted.json() == {"done": 2, "skipped": []}
    assert fresh(Contact, a.pk).deleted_at is not None


def test_api_bulk_refuses_forged_ids_and_bad_values_and_changes_nothing(users, api_for):
    api = api_for(users.owner)
    mine = ContactFactory(owner=users.owner, title="x", email="a@example.com")
    hidden = ContactFactory(owner=users.outsider)
    forged = api.post(
        "/api/v1/contacts/bulk/",
        {"ids": [mine.pk, hidden.pk, 999999], "action": "update", "data": {"title": "t"}},
        format="json",
    )
    assert forged.status_code == 404
    assert f"{hidden.pk}, 999999" in forged.json()["error"]["fields"]["ids"][0]
    bad = api.post(
        "/api/v1/contacts/bulk/",
        {"ids": [mine.pk], "action": "update", "data": {"email": "not an e-mail"}},
        format="json",
    )
    assert bad.status_code == 400 and "email" in bad.json()["error"]["fields"]
    wrong_type = api.post("/api/v1/contacts/bulk/", {"ids": "all", "action": "update"}, format="json")
    assert wrong_type.status_code == 400 and "ids" in wrong_type.json()["error"]["fields"]
    empty = api.post("/api/v1/contacts/bulk/", {"ids": [mine.pk], "action": "update", "data": {}}, format="json")
    assert empty.status_code == 400
    too_many = api.post("/api/v1/contacts/bulk/", {"ids": list(range(1, 1002)), "action": "delete"}, format="json")
    assert too_many.status_code == 400
    assert fresh(Contact, mine.pk).title == "x" and fresh(Contact, mine.pk).deleted_at is None


def test_api_bulk_is_all_or_nothing(users, api_for):
    parent = CompanyFactory(owner=users.owner)
    other = CompanyFactory(owner=users.owner)
    response = api_for(users.owner).post(
        "/api/v1/companies/bulk/",
        {"ids": [other.pk, parent.pk], "action": "update", "data": {"parent": parent.pk}},
        format="json",
    )
    assert response.status_code == 400 and "parent" in response.json()["error"]["fields"]
    assert fresh(Company, other.pk).parent_id is None


def test_api_bulk_delete_needs_the_delete_permission(users, api_for):
    contact = ContactFactory(owner=users.owner)
    marketer_like = users.owner
    from django.contrib.auth.models import Permission

    marketer_like.role.permissions.remove(Permission.objects.get(codename="delete_contact"))
    response = api_for(marketer_like).post(
        "/api/v1/contacts/bulk/", {"ids": [contact.pk], "action": "delete"}, format="json"
    )
    assert response.status_code == 403
    assert fresh(Contact, contact.pk).deleted_at is None
