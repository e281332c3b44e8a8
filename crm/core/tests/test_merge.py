"""Merging duplicate records, and undoing a merge: service, pages and API."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core import services as core
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.merge import merge_undo_blocker, records_merge, records_merge_undo
from crm.core.models import CustomField, Tag

pytestmark = pytest.mark.django_db

VALUE_FIELDS = ("name", "title", "email", "phone", "company_id", "owner_id", "custom_fields")


def values(obj, names=VALUE_FIELDS) -> dict:
    return {n: getattr(obj, n) for n in names if hasattr(obj, n)}


def tag_names(obj) -> list[str]:
    return sorted(obj.tags.values_list("name", flat=True))


def fresh(model, pk):
    return model.all_objects.get(pk=pk)


def audit(model, pk, action):
    ct = ContentType.objects.get_for_model(model)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(pk), action=action)


@pytest.fixture
def custom_fields(db):
    ct = ContentType.objects.get_for_model(Contact)
    CustomField.objects.create(content_type=ct, name="tier", label_en="Tier", field_type="text")
    CustomField.objects.create(content_type=ct, name="code", label_en="Code", field_type="text")


def tagged(obj, *names):
    obj.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])
    return obj


# Service --------------------------------------------------------------------------------


def test_merging_three_contacts_takes_the_chosen_values(users):
    keep = ContactFactory(owner=users.owner, name="张伟", email="", phone="111", title="CEO")
    b = ContactFactory(owner=users.owner, name="Zhang Wei", email="zw@example.com", phone="222")
    c = ContactFactory(owner=users.owner, name="Wei Zhang", email="wz@example.com", phone="333")
    version = keep.version

    merged = records_merge(
        survivor=keep, others=[b, c], field_choices={"email": b.pk, "phone": c.pk}, actor=users.owner
    )

    merged = fresh(Contact, keep.pk)
    assert (merged.name, merged.email, merged.phone, merged.title) == ("张伟", "zw@example.com", "333", "CEO")
    assert merged.version == version + 1
    for loser in (b, c):
        loser = fresh(Contact, loser.pk)
        assert loser.deleted_at is not None
        assert loser.deleted_by == users.owner
    assert list(Contact.objects.filter(pk__in=[keep.pk, b.pk, c.pk])) == [merged]

    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    assert entry.actor == users.owner
    assert entry.extra["merged"] == [b.pk, c.pk]
    assert entry.extra["survivor_before"]["email"] == ""
    assert entry.extra["survivor_before"]["phone"] == "111"
    assert {"field": "email", "old": "", "new": "zw@example.com"} in entry.changes
    for loser in (b, c):
        row = audit(Contact, loser.pk, AuditEntry.Action.MERGE).get()
        assert row.extra["merged_into"] == keep.pk
        assert row.extra["merge_entry"] == entry.pk


def test_merging_companies_moves_their_contacts_including_the_recycle_bin(users):
    keep = CompanyFactory(owner=users.owner, name="华信科技")
    dup = CompanyFactory(owner=users.owner, name="华信科技有限公司")
    own = ContactFactory(owner=users.owner, company=keep)
    live = ContactFactory(owner=users.teammate, company=dup)
    binned = ContactFactory(owner=users.owner, company=dup)
    core.record_delete(instance=binned, actor=users.owner)
    live_version = live.version

    records_merge(survivor=keep, others=[dup], field_choices={"name": dup.pk}, actor=users.owner)

    assert fresh(Company, keep.pk).name == "华信科技有限公司"
    assert set(Contact.all_objects.filter(company_id=keep.pk).values_list("pk", flat=True)) == {
        own.pk,
        live.pk,
        binned.pk,
    }
    assert fresh(Contact, live.pk).version == live_version + 1
    assert fresh(Contact, binned.pk).deleted_at is not None  # moved, still in the bin
    entry = audit(Company, keep.pk, AuditEntry.Action.MERGE).get()
    moved = sorted(tuple(m) for m in entry.extra["moved"])
    assert moved == sorted(
        [("contacts.contact", live.pk, "company", dup.pk), ("contacts.contact", binned.pk, "company", dup.pk)]
    )


def test_tags_are_combined_and_custom_fields_filled(users, custom_fields):
    keep = tagged(ContactFactory(owner=users.owner, custom_fields={"tier": "A"}), "vip")
    other = tagged(ContactFactory(owner=users.owner, custom_fields={"tier": "B", "code": "X"}), "lead", "vip")

    records_merge(survivor=keep, others=[other], field_choices={}, actor=users.owner)

    merged = fresh(Contact, keep.pk)
    assert tag_names(merged) == ["lead", "vip"]
    assert merged.custom_fields == {"tier": "A", "code": "X"}
    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    assert {"field": "tags", "old": ["vip"], "new": ["lead", "vip"]} in entry.changes
    assert {"field": "custom_fields.code", "old": None, "new": "X"} in entry.changes


def test_a_chosen_custom_field_value_wins(users, custom_fields):
    keep = ContactFactory(owner=users.owner, custom_fields={"tier": "A"})
    other = ContactFactory(owner=users.owner, custom_fields={"tier": "B"})
    records_merge(survivor=keep, others=[other], field_choices={"custom_fields.tier": other.pk}, actor=users.owner)
    assert fresh(Contact, keep.pk).custom_fields == {"tier": "B"}


def test_undo_restores_everything_exactly(users, custom_fields):
    keep_co = CompanyFactory(owner=users.owner)
    dup_co = CompanyFactory(owner=users.owner)
    keep = tagged(
        ContactFactory(owner=users.owner, company=keep_co, email="", phone="1", custom_fields={"tier": "A"}), "vip"
    )
    b = tagged(ContactFactory(owner=users.owner, company=dup_co, custom_fields={"code": "X"}), "lead")
    c = ContactFactory(owner=users.owner, phone="3", title="CTO")
    before = {o.pk: (values(fresh(Contact, o.pk)), tag_names(o)) for o in (keep, b, c)}

    records_merge(
        survivor=keep,
        others=[b, c],
        field_choices={"email": b.pk, "phone": c.pk, "company": b.pk, "title": c.pk},
        actor=users.owner,
    )
    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    assert fresh(Contact, keep.pk).company_id == dup_co.pk
    assert merge_undo_blocker(entry) is None

    survivor = records_merge_undo(entry=entry, actor=users.owner)

    assert survivor.pk == keep.pk
    for pk, (old_values, old_tags) in before.items():
        now = fresh(Contact, pk)
        assert now.deleted_at is None
        assert values(now) == old_values
        assert tag_names(now) == old_tags
    undo = audit(Contact, keep.pk, AuditEntry.Action.RESTORE).get()
    assert undo.extra["undo_of"] == entry.pk
    assert audit(Contact, b.pk, AuditEntry.Action.RESTORE).get().extra["undo_of"] == entry.pk
    # Once is enough.
    assert "already" in merge_undo_blocker(entry)
    with pytest.raises(ValidationFailed, match="already"):
        records_merge_undo(entry=entry, actor=users.owner)


def test_undo_moves_related_records_back(users):
    keep = CompanyFactory(owner=users.owner)
    dup = CompanyFactory(owner=users.owner)
    live = ContactFactory(owner=users.owner, company=dup)
    binned = ContactFactory(owner=users.owner, company=dup)
    core.record_delete(instance=binned, actor=users.owner)
    records_merge(survivor=keep, others=[dup], field_choices={}, actor=users.owner)
    entry = audit(Company, keep.pk, AuditEntry.Action.MERGE).get()

    records_merge_undo(entry=entry, actor=users.owner)

    assert fresh(Contact, live.pk).company_id == dup.pk
    assert fresh(Contact, binned.pk).company_id == dup.pk
    assert fresh(Contact, binned.pk).deleted_at is not None
    assert fresh(Company, dup.pk).deleted_at is None


def test_undo_is_refused_after_a_later_edit(users):
    keep = ContactFactory(owner=users.owner)
    other = ContactFactory(owner=users.owner)
    records_merge(survivor=keep, others=[other], field_choices={}, actor=users.owner)
    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    core.record_update(instance=fresh(Contact, keep.pk), actor=users.owner, data={"title": "Later"})

    assert "changed after the merge" in merge_undo_blocker(entry)
    with pytest.raises(ValidationFailed, match="changed after the merge"):
        records_merge_undo(entry=entry, actor=users.owner)
    assert fresh(Contact, other.pk).deleted_at is not None


def test_undo_is_refused_when_a_merged_record_was_purged(users):
    keep = ContactFactory(owner=users.owner)
    other = ContactFactory(owner=users.owner)
    records_merge(survivor=keep, others=[other], field_choices={}, actor=users.owner)
    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    core.record_purge(instance=fresh(Contact, other.pk), actor=users.owner)
    with pytest.raises(ValidationFailed, match="deleted for good"):
        records_merge_undo(entry=entry, actor=users.owner)


def test_a_teammate_without_write_access_may_not_merge(users):
    keep = ContactFactory(owner=users.owner, phone="1")
    other = ContactFactory(owner=users.owner, phone="2")
    with pytest.raises(PermissionDeniedError):
        records_merge(survivor=keep, others=[other], field_choices={"phone": other.pk}, actor=users.teammate)
    assert fresh(Contact, keep.pk).phone == "1"
    assert fresh(Contact, other.pk).deleted_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGE).exists()
    # One record the actor may not change is enough to refuse the whole merge.
    mine = ContactFactory(owner=users.teammate)
    with pytest.raises(PermissionDeniedError):
        records_merge(survivor=mine, others=[other], field_choices={}, actor=users.teammate)
    assert fresh(Contact, other.pk).deleted_at is None


def test_different_types_itself_and_bad_choices_are_refused(users):
    contact = ContactFactory(owner=users.owner)
    company = CompanyFactory(owner=users.owner)
    other = ContactFactory(owner=users.owner)
    with pytest.raises(ValidationFailed, match="same type"):
        records_merge(survivor=contact, others=[company], field_choices={}, actor=users.owner)
    with pytest.raises(ValidationFailed, match="itself"):
        records_merge(survivor=contact, others=[contact], field_choices={}, actor=users.owner)
    with pytest.raises(ValidationFailed) as exc:
        records_merge(
            survivor=contact, others=[other], field_choices={"version": other.pk, "email": 999999}, actor=users.owner
        )
    assert set(exc.value.fields) == {"version", "email"}
    core.record_delete(instance=other, actor=users.owner)
    with pytest.raises(ValidationFailed, match="recycle bin"):
        records_merge(survivor=contact, others=[fresh(Contact, other.pk)], field_choices={}, actor=users.owner)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGE).exists()


# API ------------------------------------------------------------------------------------


def test_api_merge_and_undo(users, api_for):
    keep = CompanyFactory(owner=users.owner, phone="1")
    dup = CompanyFactory(owner=users.owner, phone="2")
    contact = ContactFactory(owner=users.owner, company=dup)
    api = api_for(users.owner)
    url = reverse("company-merge")
    assert url == "/api/v1/companies/merge/"

    response = api.post(url, {"survivor": keep.pk, "others": [dup.pk], "fields": {"phone": dup.pk}}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == keep.pk
    assert response.json()["phone"] == "2"
    assert fresh(Contact, contact.pk).company_id == keep.pk
    entry_id = int(response["X-Audit-Entry"])
    assert AuditEntry.objects.get(pk=entry_id).action == "merge"

    response = api.post(reverse("company-merge-undo"), {"audit_entry": entry_id}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "1"
    assert fresh(Contact, contact.pk).company_id == dup.pk
    assert fresh(Company, dup.pk).deleted_at is None

    again = api.post(reverse("company-merge-undo"), {"audit_entry": entry_id}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "validation_failed"


def test_api_merge_follows_visibility_and_write_access(users, api_for):
    keep = ContactFactory(owner=users.owner)
    other = ContactFactory(owner=users.owner)
    body = {"survivor": keep.pk, "others": [other.pk]}
    url = reverse("contact-merge")

    teammate = api_for(users.teammate).post(url, body, format="json")
    assert teammate.status_code == 403
    assert teammate.json()["error"]["code"] == "permission_denied"
    outsider = api_for(users.outsider).post(url, body, format="json")
    assert outsider.status_code == 404
    assert outsider.json()["error"]["code"] == "not_found"
    bad = api_for(users.owner).post(url, {"survivor": keep.pk, "others": []}, format="json")
    assert bad.status_code == 400
    assert "others" in bad.json()["error"]["fields"]
    itself = api_for(users.owner).post(url, {"survivor": keep.pk, "others": [keep.pk]}, format="json")
    assert itself.status_code == 400
    assert fresh(Contact, other.pk).deleted_at is None

    ok = api_for(users.owner).post(url, body, format="json")
    assert ok.status_code == 200
    entry_id = int(ok["X-Audit-Entry"])
    undo_url = reverse("contact-merge-undo")
    assert api_for(users.outsider).post(undo_url, {"audit_entry": entry_id}, format="json").status_code == 404
    assert api_for(users.teammate).post(undo_url, {"audit_entry": entry_id}, format="json").status_code == 403
    # An entry of another record type is not found through this endpoint.
    assert api_for(users.owner).post(reverse("company-merge-undo"), {"audit_entry": entry_id}).status_code == 404


# Pages ----------------------------------------------------------------------------------


def test_merge_page_flow_with_undo(users, client_for):
    keep = ContactFactory(owner=users.owner, name="张伟", phone="111")
    b = ContactFactory(owner=users.owner, name="Zhang Wei", phone="222")
    c = ContactFactory(owner=users.owner, name="Wei Zhang", phone="")
    client = client_for(users.owner)
    list_url = reverse("contacts:contact_list")
    merge_url = reverse("contacts:contact_merge")

    listing = client.get(list_url)
    assert f'formaction="{merge_url}"'.encode() in listing.content
    start = client.post(merge_url, {"ids": [keep.pk, b.pk, c.pk]})
    assert start.status_code == 302
    assert start["Location"] == f"{merge_url}?ids={keep.pk}%2C{b.pk}%2C{c.pk}"

    page = client.get(start["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("张伟", "Zhang Wei", "Wei Zhang"):
        assert name in html
    assert 'class="table-wrap merge-wrap"' in html
    assert f'name="field:phone" value="{keep.pk}" checked' in html
    assert f'name="survivor" value="{keep.pk}" checked' in html

    response = client.post(
        f"{merge_url}?ids={keep.pk},{b.pk},{c.pk}",
        {"ids": f"{keep.pk},{b.pk},{c.pk}", "survivor": b.pk, "field:name": keep.pk, "field:phone": b.pk},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("contacts:contact_detail", args=[b.pk])
    merged = fresh(Contact, b.pk)
    assert (merged.name, merged.phone) == ("张伟", "222")
    assert fresh(Contact, keep.pk).deleted_at is not None
    html = response.content.decode()
    assert "records were merged into" in html
    entry = audit(Contact, b.pk, AuditEntry.Action.MERGE).get()
    undo_url = reverse("contacts:contact_merge_undo")
    assert f'action="{undo_url}"' in html
    assert f'name="entry" value="{entry.pk}"' in html

    undone = client.post(undo_url, {"entry": entry.pk}, follow=True)
    assert undone.status_code == 200
    assert "The merge was undone" in undone.content.decode()
    assert fresh(Contact, keep.pk).deleted_at is None
    assert fresh(Contact, b.pk).name == "Zhang Wei"


def test_merge_page_follows_visibility_and_write_access(users, client_for):
    a = ContactFactory(owner=users.owner)
    b = ContactFactory(owner=users.owner)
    url = reverse("contacts:contact_merge") + f"?ids={a.pk},{b.pk}"
    assert client_for(users.owner).get(url).status_code == 200
    assert client_for(users.teammate).get(url).status_code == 403
    assert client_for(users.outsider).get(url).status_code == 404
    single = client_for(users.owner).get(reverse("contacts:contact_merge") + f"?ids={a.pk}")
    assert single.status_code == 302


def test_audit_log_offers_undo_while_possible(users, client_for):
    keep = CompanyFactory(owner=users.owner)
    dup = CompanyFactory(owner=users.owner)
    records_merge(survivor=keep, others=[dup], field_choices={}, actor=users.admin)
    entry = audit(Company, keep.pk, AuditEntry.Action.MERGE).get()
    admin = client_for(users.admin)
    log = admin.get(reverse("audit:log"))
    assert "Undo merge" in log.content.decode()
    assert f'name="entry" value="{entry.pk}"' in log.content.decode()

    response = admin.post(
        reverse("contacts:company_merge_undo"), {"entry": entry.pk, "next": reverse("audit:log")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("audit:log")
    assert fresh(Company, dup.pk).deleted_at is None
    assert "Undo merge" not in response.content.decode()


def test_apps_can_refresh_derived_values_after_a_merge_and_its_undo(users, monkeypatch):
    from crm.core import merge

    seen = []
    monkeypatch.setattr(merge, "_AFTER_MERGE", {})
    merge.register_merge_hook(Contact, lambda record: seen.append((record.pk, record.name)))
    keep = ContactFactory(owner=users.owner, name="Old")
    other = ContactFactory(owner=users.owner, name="New")
    records_merge(survivor=keep, others=[other], field_choices={"name": other.pk}, actor=users.owner)
    records_merge_undo(entry=audit(Contact, keep.pk, AuditEntry.Action.MERGE).get(), actor=users.owner)
    assert seen == [(keep.pk, "New"), (keep.pk, "Old")]


def test_merged_company_is_found_by_its_new_name_and_cannot_become_its_own_parent(users):
    keep = CompanyFactory(owner=users.owner, name="Old Name")
    child = CompanyFactory(owner=users.owner, name="New Name", parent=keep)
    with pytest.raises(ValidationFailed):
        records_merge(survivor=keep, others=[child], field_choices={"parent": child.pk}, actor=users.owner)
    assert fresh(Company, child.pk).deleted_at is None

    records_merge(survivor=keep, others=[child], field_choices={"name": child.pk}, actor=users.owner)
    merged = fresh(Company, keep.pk)
    assert "new name" in merged.search_text.lower()
    assert merged.parent_id is None


def test_a_merge_cannot_make_a_longer_loop_of_parent_companies(users, api_for):
    keep = CompanyFactory(owner=users.owner, name="Keep")
    other = CompanyFactory(owner=users.owner, name="Other")
    # other's parent is a subsidiary of keep: taking other's parent would give keep → sub → keep.
    sub = CompanyFactory(owner=users.owner, name="Sub", parent=keep)
    Company.all_objects.filter(pk=other.pk).update(parent=sub)
    with pytest.raises(ValidationFailed, match="lead back") as caught:
        records_merge(
            survivor=keep, others=[fresh(Company, other.pk)], field_choices={"parent": other.pk}, actor=users.owner
        )
    assert "parent" in caught.value.fields
    assert fresh(Company, other.pk).deleted_at is None and fresh(Company, keep.pk).parent_id is None
    # keep's parent is a subsidiary of other: moving other's subsidiaries to keep closes the loop.
    top = CompanyFactory(owner=users.owner, name="Top")
    loser = CompanyFactory(owner=users.owner, name="Loser")
    Company.all_objects.filter(pk=top.pk).update(parent=loser)
    Company.all_objects.filter(pk=keep.pk).update(parent=top)
    response = api_for(users.owner).post(
        "/api/v1/companies/merge/", {"survivor": keep.pk, "others": [loser.pk]}, format="json"
    )
    assert response.status_code == 400 and "parent" in response.json()["error"]["fields"]
    assert fresh(Company, top.pk).parent_id == loser.pk and fresh(Company, loser.pk).deleted_at is None
    # Without a loop the same kind of merge goes through.
    Company.all_objects.filter(pk=keep.pk).update(parent=None)
    assert (
        api_for(users.owner)
        .post("/api/v1/companies/merge/", {"survivor": keep.pk, "others": [loser.pk]}, format="json")
        .status_code
        == 200
    )
    assert fresh(Company, top.pk).parent_id == keep.pk


def test_undo_is_refused_when_a_former_value_was_purged(users):
    old_company = CompanyFactory(owner=users.owner)
    new_company = CompanyFactory(owner=users.owner)
    keep = ContactFactory(owner=users.owner, company=old_company)
    other = ContactFactory(owner=users.owner, company=new_company)
    records_merge(survivor=keep, others=[other], field_choices={"company": other.pk}, actor=users.owner)
    entry = audit(Contact, keep.pk, AuditEntry.Action.MERGE).get()
    core.record_delete(instance=old_company, actor=users.owner)
    core.record_purge(instance=fresh(Company, old_company.pk), actor=users.owner)
    with pytest.raises(ValidationFailed, match="deleted for good"):
        records_merge_undo(entry=entry, actor=users.owner)
    assert fresh(Contact, keep.pk).company_id == new_company.pk
