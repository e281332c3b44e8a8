"""User, team and role administration: administrators only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from crm.accounts.models import Role, Team, User
from crm.audit.models import AuditEntry

ADMIN_PAGES = [
    ("accounts:user_list", []),
    ("accounts:user_add", []),
    ("accounts:team_list", []),
    ("accounts:team_add", []),
    ("accounts:role_list", []),
    ("accounts:role_add", []),
]


@pytest.mark.parametrize("who", ["owner", "teammate", "manager", "outsider"])
@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_admin_pages_are_403_for_non_admins(users, client_for, who, name, args):
    client = client_for(getattr(users, who))
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), {"name": "x", "key": "x", "username": "x"}).status_code == 403


@pytest.mark.parametrize("name", ["accounts:user_edit", "accounts:team_edit", "accounts:role_edit"])
def test_admin_edit_pages_are_403_for_non_admins(users, client_for, name):
    pk = {"accounts:user_edit": users.owner.pk, "accounts:team_edit": users.owner.team_id}.get(
        name, Role.objects.get(key="sales_rep").pk
    )
    assert client_for(users.manager).get(reverse(name, args=[pk])).status_code == 403


def test_non_admin_post_changes_nothing(users, client_for):
    client = client_for(users.owner)
    admin_role = Role.objects.get(key="administrator")
    client.post(
        reverse("accounts:user_edit", args=[users.owner.pk]),
        {"username": "owner", "role": admin_role.pk, "is_active": "on"},
    )
    users.owner.refresh_from_db()
    assert users.owner.role.key == "sales_rep"
    assert not AuditEntry.objects.filter(action="permission").exists()


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_admin_pages_need_sign_in(db, name, args):
    response = Client().get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_admin_sees_the_lists(users, client_for):
    client = client_for(users.admin)
    users_page = client.get(reverse("accounts:user_list"))
    assert users_page.status_code == 200
    html = users_page.content.decode()
    for name in ("owner", "teammate", "outsider", "manager", "admin"):
        assert f">{name}</a>" in html
    teams_page = client.get(reverse("accounts:team_list")).content.decode()
    for name in ("Sales", "East", "Elsewhere"):
        assert f">{name}</a>" in teams_page
    roles_page = client.get(reverse("accounts:role_list")).content.decode()
    assert reverse("accounts:role_edit", args=[Role.objects.get(key="sales_manager").pk]) in roles_page
    for name in ("accounts:user_add", "accounts:team_add", "accounts:role_add"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("accounts:user_edit", args=[users.owner.pk])).status_code == 200
    assert client.get(reverse("accounts:team_edit", args=[users.owner.team_id])).status_code == 200


def test_admin_pages_are_in_the_admins_menu_only(users, client_for):
    admin_html = client_for(users.admin).get(reverse("core:dashboard")).content.decode()
    rep_html = client_for(users.owner).get(reverse("core:dashboard")).content.decode()
    for name in ("accounts:user_list", "accounts:team_list", "accounts:role_list"):
        assert f'href="{reverse(name)}"' in admin_html
        assert f'href="{reverse(name)}"' not in rep_html


def test_admin_creates_a_user_who_can_sign_in(users, client_for):
    response = client_for(users.admin).post(
        reverse("accounts:user_add"),
        {
            "username": "newrep",
            "full_name": "陈静",
            "email": "chen@example.com",
            "team": Team.objects.get(name="East").pk,
            "role": Role.objects.get(key="sales_rep").pk,
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
            "is_active": "on",
            "password": "Tall-Bamboo-5521",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newrep")
    assert user.team.name == "East" and user.role.key == "sales_rep"
    assert AuditEntry.objects.filter(action="create", object_id=str(user.pk), actor=users.admin).exists()
    client = Client()
    client.post(reverse("accounts:login"), {"username": "newrep", "password": "Tall-Bamboo-5521"})
    assert "_auth_user_id" in client.session


def test_admin_user_form_refuses_a_weak_password(users, client_for):
    response = client_for(users.admin).post(
        reverse("accounts:user_add"), {"username": "weak", "password": "12345678", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="weak").exists()


def test_admin_changes_a_users_role_with_a_permission_audit_row(users, client_for):
    manager_role = Role.objects.get(key="sales_manager")
    response = client_for(users.admin).post(
        reverse("accounts:user_edit", args=[users.owner.pk]),
        {
            "username": "owner",
            "full_name": users.owner.full_name,
            "email": users.owner.email,
            "team": users.owner.team_id,
            "role": manager_role.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    users.owner.refresh_from_db()
    assert users.owner.role == manager_role
    entry = AuditEntry.objects.get(action="permission", object_id=str(users.owner.pk))
    assert entry.changes == [{"field": "role", "old": Role.objects.get(key="sales_rep").pk, "new": manager_role.pk}]
