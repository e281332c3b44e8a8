"""Roles built through the role form decide exactly what their users see and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.accounts import services
from crm.accounts.models import Role, RoleScope, Scope
from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.testing.factories import TeamFactory, UserFactory
from crm.core.visibility import can_access, scope_for, visible_to

ROLE_ADD = reverse("accounts:role_add")
CONTACT = "contacts.contact"
COMPANY = "contacts.company"


def perm_ids(*codenames: str) -> list[int]:
    ids = list(
        Permission.objects.filter(content_type__app_label="contacts", codename__in=codenames).values_list(
            "pk", flat=True
        )
    )
    assert len(ids) == len(codenames)
    return ids


def role_form(**overrides) -> dict:
    data = {
        "key": "contact_reader",
        "name": "Contact reader",
        "default_read_scope": "own",
        "default_write_scope": "own",
        "permissions": perm_ids("view_contact", "change_contact", "view_company"),
        f"scope_read_{CONTACT}": "all",
        f"scope_write_{CONTACT}": "own",
        f"scope_read_{COMPANY}": "",
        f"scope_write_{COMPANY}": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def fresh(user):
    """A new copy of the user: scopes are cached on the user object for one request."""
    return type(user).objects.select_related("role", "team").get(pk=user.pk)


def test_role_form_creates_role_with_permissions_and_scopes(users, client_for):
    client = client_for(users.admin)
    page = client.get(ROLE_ADD)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="scope_read_{CONTACT}"' in html and f'name="scope_write_{COMPANY}"' in html

    response = client.post(ROLE_ADD, role_form(), HTTP_X_REQUEST_ID="req-role-1")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("accounts:role_list")
    role = Role.objects.get(key="contact_reader")
    assert not role.is_builtin and not role.is_admin
    assert set(role.permissions.values_list("codename", flat=True)) == {
        "view_contact",
        "change_contact",
        "view_company",
    }
    assert list(role.scopes.values_list("record_type", "read_scope", "write_scope")) == [(CONTACT, "all", "own")]

    entry = AuditEntry.objects.get(action="permission", object_id=str(role.pk))
    assert entry.actor == users.admin and entry.request_id == "req-role-1"
    changes = {c["field"]: c for c in entry.changes}
    assert changes["key"]["new"] == "contact_reader"
    assert changes["permissions"]["new"] == ["change_contact", "view_company", "view_contact"]
    assert changes["scopes"]["new"] == {CONTACT: ["all", "own"]}
    assert "Contact reader" in client.get(reverse("accounts:role_list")).content.decode()


def test_user_with_the_new_role_sees_and_changes_exactly_what_the_scope_says(users, client_for, api_for):
    client_for(users.admin).post(ROLE_ADD, role_form())
    role = Role.objects.get(key="contact_reader")
    reader = UserFactory(username="reader", role=role, team=TeamFactory(name="Audit"))

    theirs = ContactFactory(owner=users.outsider, name="Outsider's contact")
    owners = ContactFactory(owner=users.owner, name="Owner's contact")
    mine = ContactFactory(owner=reader, name="Reader's own contact")
    foreign_company = CompanyFactory(owner=users.outsider)
    own_company = CompanyFactory(owner=reader)

    api = api_for(fresh(reader))
    listed = api.get(reverse("contact-list"), {"page_size": 500})
    assert listed.status_code == 200
    assert {row["id"] for row in listed.json()["results"]} == {theirs.pk, owners.pk, mine.pk}
    assert api.get(reverse("contact-detail", args=[theirs.pk])).status_code == 200

    denied = api_for(fresh(reader)).patch(reverse("contact-detail", args=[theirs.pk]), {"name": "x"}, format="json")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
    theirs.refresh_from_db()
    assert theirs.name == "Outsider's contact"

    allowed = api_for(fresh(reader)).patch(reverse("contact-detail", args=[mine.pk]), {"name": "新名字"}, format="json")
    assert allowed.status_code == 200, allowed.json()
    mine.refresh_from_db()
    assert mine.name == "新名字"

    # No add/delete permission: creating or deleting is refused even for own records.
    created = api_for(fresh(reader)).post(reverse("contact-list"), {"name": "New"}, format="json")
    assert created.status_code == 403
    assert api_for(fresh(reader)).delete(reverse("contact-detail", args=[mine.pk])).status_code == 403

    # Companies have no override: the role defaults (own/own) apply.
    companies = api_for(fresh(reader)).get(reverse("company-list"), {"page_size": 500}).json()["results"]
    assert {row["id"] for row in companies} == {own_company.pk}
    assert api_for(fresh(reader)).get(reverse("company-detail", args=[foreign_company.pk])).status_code == 404

    # The HTML pages follow the same rules.
    page = client_for(reader)
    assert page.get(reverse("contacts:contact_detail", args=[theirs.pk])).status_code == 200
    assert page.get(reverse("contacts:contact_edit", args=[theirs.pk])).status_code == 403
    assert page.get(reverse("contacts:contact_edit", args=[mine.pk])).status_code == 200


def test_without_view_permission_the_api_is_refused_whatever_the_scope(users, client_for, api_for):
    client_for(users.admin).post(ROLE_ADD, role_form(key="no_view", name="No view", permissions=[]))
    user = UserFactory(username="noview", role=Role.objects.get(key="no_view"))
    ContactFactory(owner=users.outsider)
    response = api_for(fresh(user)).get(reverse("contact-list"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("read", "write"),
    [("own", "team"), ("team", "team_and_below"), ("none", "own"), ("team_and_below", "all")],
)
def test_role_form_refuses_write_scope_wider_than_read_scope(users, client_for, read, write):
    data = role_form(**{f"scope_read_{CONTACT}": read, f"scope_write_{CONTACT}": write})
    response = client_for(users.admin).post(ROLE_ADD, data)
    assert response.status_code == 200
    assert "The write scope cannot reach further than the read scope." in response.content.decode()
    assert not Role.objects.filter(key="contact_reader").exists()
    assert not RoleScope.objects.filter(record_type=CONTACT).exists()
    assert not AuditEntry.objects.filter(action="permission").exists()


def test_role_form_refuses_default_write_scope_wider_than_default_read_scope(users, client_for):
    data = role_form(default_read_scope="own", default_write_scope="all")
    response = client_for(users.admin).post(ROLE_ADD, data)
    assert response.status_code == 200
    assert "The write scope cannot reach further than the read scope." in response.content.decode()
    assert not Role.objects.filter(key="contact_reader").exists()


def test_role_override_with_only_a_read_scope_takes_the_default_write(users, client_for):
    data = role_form(default_read_scope="team", default_write_scope="own", **{f"scope_write_{CONTACT}": ""})
    assert client_for(users.admin).post(ROLE_ADD, data).status_code == 302
    scope = RoleScope.objects.get(role__key="contact_reader", record_type=CONTACT)
    assert (scope.read_scope, scope.write_scope) == ("all", "own")


def test_role_override_read_narrower_than_default_write_is_refused(users, client_for):
    data = role_form(
        default_read_scope="all",
        default_write_scope="all",
        **{f"scope_read_{CONTACT}": "own", f"scope_write_{CONTACT}": ""},
    )
    response = client_for(users.admin).post(ROLE_ADD, data)
    assert response.status_code == 200
    assert not Role.objects.filter(key="contact_reader").exists()


def test_role_scope_model_validation_refuses_wider_write(db):
    from django.core.exceptions import ValidationError

    role = Role.objects.get(key="sales_rep")
    with pytest.raises(ValidationError):
        RoleScope(role=role, record_type=CONTACT, read_scope="own", write_scope="all").clean()
    RoleScope(role=role, record_type=CONTACT, read_scope="all", write_scope="own").clean()


def test_editing_a_role_can_return_a_record_type_to_the_role_default(users, client_for):
    client = client_for(users.admin)
    client.post(ROLE_ADD, role_form())
    role = Role.objects.get(key="contact_reader")
    edit = reverse("accounts:role_edit", args=[role.pk])
    page = client.get(edit).content.decode()
    assert 'value="all" selected' in page  # the stored override is shown

    response = client.post(edit, role_form(**{f"scope_read_{CONTACT}": "", f"scope_write_{CONTACT}": ""}))
    assert response.status_code == 302
    assert not role.scopes.exists()
    reader = UserFactory(username="reader2", role=role)
    assert scope_for(fresh(reader), Contact, "read") == Scope.OWN
    entry = AuditEntry.objects.filter(action="permission", object_id=str(role.pk)).order_by("-id").first()
    scopes_change = next(c for c in entry.changes if c["field"] == "scopes")
    assert scopes_change == {"field": "scopes", "old": {CONTACT: ["all", "own"]}, "new": {}}


def test_editing_a_role_changes_permissions_and_audits_the_difference(users, client_for):
    client = client_for(users.admin)
    client.post(ROLE_ADD, role_form())
    role = Role.objects.get(key="contact_reader")
    response = client.post(
        reverse("accounts:role_edit", args=[role.pk]), role_form(permissions=perm_ids("view_contact"))
    )
    assert response.status_code == 302
    assert list(role.permissions.values_list("codename", flat=True)) == ["view_contact"]
    entry = AuditEntry.objects.filter(action="permission", object_id=str(role.pk)).order_by("-id").first()
    assert entry.changes == [
        {
            "field": "permissions",
            "old": ["change_contact", "view_company", "view_contact"],
            "new": ["view_contact"],
        }
    ]


def test_saving_a_role_unchanged_writes_no_audit_row(users, client_for):
    client = client_for(users.admin)
    client.post(ROLE_ADD, role_form())
    role = Role.objects.get(key="contact_reader")
    client.post(reverse("accounts:role_edit", args=[role.pk]), role_form())
    assert AuditEntry.objects.filter(action="permission", object_id=str(role.pk)).count() == 1


def test_builtin_role_keeps_its_key(users, client_for):
    role = Role.objects.get(key="sales_rep")
    data = role_form(key="renamed", name="Reps", default_read_scope="team", default_write_scope="own")
    response = client_for(users.admin).post(reverse("accounts:role_edit", args=[role.pk]), data)
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.key == "sales_rep"
    with pytest.raises(ValidationFailed):
        services.role_save(actor=users.admin, role=role, data={"key": "other"})


def test_only_admins_save_roles(users):
    with pytest.raises(PermissionDeniedError):
        services.role_save(actor=users.manager, data={"key": "x", "name": "X"})
    assert not Role.objects.filter(key="x").exists()


def test_admin_role_sees_and_changes_everything(users):
    contact = ContactFactory(owner=users.outsider)
    admin = fresh(users.admin)
    assert scope_for(admin, Contact, "read") == Scope.ALL
    assert can_access(admin, contact, "write")
    assert visible_to(admin, Contact).filter(pk=contact.pk).exists()


def test_user_without_a_role_sees_nothing(users):
    ContactFactory(owner=users.owner)
    nobody = UserFactory(username="norole", role=None)
    assert visible_to(fresh(nobody), Contact).count() == 0
    assert visible_to(fresh(nobody), Company).count() == 0


def test_write_scope_is_capped_by_read_scope_even_for_stored_bad_rows(users):
    role = Role.objects.create(key="odd", name="Odd", default_read_scope="own", default_write_scope="own")
    # Stored directly, bypassing validation, as an old database might hold it.
    RoleScope.objects.create(role=role, record_type=CONTACT, read_scope="own", write_scope="all")
    user = UserFactory(username="odd", role=role)
    other = ContactFactory(owner=users.outsider)
    assert scope_for(fresh(user), Contact, "write") == Scope.OWN
    assert not can_access(fresh(user), other, "write")


def test_built_in_roles_are_translated_until_renamed(db):
    from django.utils import translation

    from crm.accounts.models import Role

    rep = Role.objects.get(key="sales_rep")
    with translation.override("zh-hans"):
        translated = str(rep)
    assert translated != "Sales rep"
    rep.name = "Account executive"
    rep.save()
    with translation.override("zh-hans"):
        assert str(rep) == "Account executive"
