"""Team hierarchy: a manager reaches down the tree, never across it; no cycles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.accounts import services
from crm.accounts.models import Team
from crm.accounts.selectors import team_subtree_ids
from crm.audit.models import AuditEntry
from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.testing.factories import TeamFactory, UserFactory, role
from crm.core.visibility import can_access, visible_to


def fresh(user):
    return type(user).objects.select_related("role", "team").get(pk=user.pk)


@pytest.fixture
def tree(users):
    """HQ > Sales (manager) > East (owner, teammate) > East-North (grandkid); HQ > Support (sibling)."""
    hq = TeamFactory(name="HQ")
    sales = Team.objects.get(name="Sales")
    sales.parent = hq
    sales.save()
    east = Team.objects.get(name="East")
    north = TeamFactory(name="East-North", parent=east)
    support = TeamFactory(name="Support", parent=hq)
    grandkid = UserFactory(username="grandkid", role=role("sales_rep"), team=north)
    sibling = UserFactory(username="sibling", role=role("sales_rep"), team=support)
    return {
        "hq": hq,
        "sales": sales,
        "east": east,
        "north": north,
        "support": support,
        "grandkid": grandkid,
        "sibling": sibling,
    }


def test_subtree_contains_every_level_below_and_nothing_beside(tree):
    ids = team_subtree_ids(tree["sales"].pk)
    assert ids == {tree["sales"].pk, tree["east"].pk, tree["north"].pk}
    assert team_subtree_ids(tree["north"].pk) == {tree["north"].pk}


def test_manager_sees_grandchild_team_records_and_not_sibling_trees(users, tree, api_for):
    deep = ContactFactory(owner=tree["grandkid"])
    mid = ContactFactory(owner=users.owner)
    beside = ContactFactory(owner=tree["sibling"])
    outside = ContactFactory(owner=users.outsider)

    manager = fresh(users.manager)
    visible = set(visible_to(manager, Contact).values_list("pk", flat=True))
    assert deep.pk in visible and mid.pk in visible
    assert beside.pk not in visible and outside.pk not in visible
    assert can_access(manager, deep, "write")
    assert not can_access(manager, beside, "read")

    ids = {r["id"] for r in api_for(fresh(users.manager)).get(reverse("contact-list")).json()["results"]}
    assert {deep.pk, mid.pk} <= ids
    assert not ids & {beside.pk, outside.pk}
    assert api_for(fresh(users.manager)).get(reverse("contact-detail", args=[beside.pk])).status_code == 404
    response = api_for(fresh(users.manager)).patch(
        reverse("contact-detail", args=[deep.pk]), {"name": "经理改的"}, format="json"
    )
    assert response.status_code == 200


def test_team_scope_does_not_reach_child_teams(users, tree):
    deep = ContactFactory(owner=tree["grandkid"])
    mate = ContactFactory(owner=users.teammate)
    owner = fresh(users.owner)  # sales rep: reads "team"
    visible = set(visible_to(owner, Contact).values_list("pk", flat=True))
    assert mate.pk in visible
    assert deep.pk not in visible


def test_a_lower_manager_does_not_see_upwards(users, tree):
    north_manager = UserFactory(username="northboss", role=role("sales_manager"), team=tree["north"])
    deep = ContactFactory(owner=tree["grandkid"])
    upper = ContactFactory(owner=users.owner)
    visible = set(visible_to(fresh(north_manager), Contact).values_list("pk", flat=True))
    assert deep.pk in visible
    assert upper.pk not in visible


def test_moving_a_team_moves_what_its_manager_sees(users, tree):
    beside = ContactFactory(owner=tree["sibling"])
    assert not visible_to(fresh(users.manager), Contact).filter(pk=beside.pk).exists()
    services.team_save(actor=users.admin, team=tree["support"], data={"parent": tree["east"]})
    assert visible_to(fresh(users.manager), Contact).filter(pk=beside.pk).exists()


# Cycles --------------------------------------------------------------------------


def test_team_cannot_be_its_own_parent(tree):
    sales = tree["sales"]
    sales.parent = sales
    with pytest.raises(ValidationError) as caught:
        sales.clean()
    assert "parent" in caught.value.message_dict


def test_team_cannot_be_placed_below_its_grandchild(tree):
    sales = tree["sales"]
    sales.parent = tree["north"]
    with pytest.raises(ValidationError):
        sales.clean()


def test_team_save_refuses_a_cycle_and_keeps_the_tree(users, tree):
    with pytest.raises(ValidationFailed) as caught:
        services.team_save(actor=users.admin, team=tree["sales"], data={"parent": tree["north"]})
    assert "parent" in caught.value.fields
    assert Team.objects.get(pk=tree["sales"].pk).parent_id == tree["hq"].pk


def test_team_form_does_not_offer_or_accept_a_team_below(users, tree, client_for):
    client = client_for(users.admin)
    edit = reverse("accounts:team_edit", args=[tree["sales"].pk])
    page = client.get(edit)
    parent_choices = {str(v) for v, _label in page.context["form"].fields["parent"].choices if v}
    assert str(tree["north"].pk) not in parent_choices
    assert str(tree["sales"].pk) not in parent_choices
    assert str(tree["support"].pk) in parent_choices
    response = client.post(edit, {"name": "Sales", "parent": tree["north"].pk, "manager": users.manager.pk})
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert Team.objects.get(pk=tree["sales"].pk).parent_id == tree["hq"].pk


def test_a_moved_team_is_audited_as_a_permission_change(users, tree, client_for):
    response = client_for(users.admin).post(
        reverse("accounts:team_edit", args=[tree["support"].pk]), {"name": "Support", "parent": tree["sales"].pk}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="permission", object_id=str(tree["support"].pk))
    assert entry.changes == [{"field": "parent", "old": tree["hq"].pk, "new": tree["sales"].pk}]


def test_team_create_through_the_page(users, client_for):
    response = client_for(users.admin).post(
        reverse("accounts:team_add"), {"name": "West", "parent": Team.objects.get(name="Sales").pk}
    )
    assert response.status_code == 302
    west = Team.objects.get(name="West")
    assert west.parent.name == "Sales"
    assert AuditEntry.objects.filter(action="create", object_id=str(west.pk), actor=users.admin).exists()


def test_only_admins_save_teams(users):
    with pytest.raises(PermissionDeniedError):
        services.team_save(actor=users.manager, data={"name": "Rogue"})
    assert not Team.objects.filter(name="Rogue").exists()
