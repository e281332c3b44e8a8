"""visible_to() and can_access() agree with each other and with the role's scopes."""

import itertools

import pytest

from crm.accounts.models import Role, RoleScope, Scope
from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.core.errors import PermissionDeniedError
from crm.core.testing.factories import TeamFactory, UserFactory, role
from crm.core.visibility import can_access, get_visible_or_404, scope_for, visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    """Records owned by each standing user, plus one by a rep in a grand-child team."""
    east = users.owner.team
    deep = TeamFactory(name="East-1", parent=east)
    deep_rep = UserFactory(username="deep", role=role("sales_rep"), team=deep)
    records = {who: ContactFactory(owner=getattr(users, who)) for who in ("owner", "teammate", "outsider", "manager")}
    records["deep"] = ContactFactory(owner=deep_rep)
    records["nobody"] = ContactFactory(owner=None)
    return records


def visible_names(user, records, action="read"):
    ids = set(visible_to(user, Contact, action).values_list("pk", flat=True))
    return {name for name, rec in records.items() if rec.pk in ids}


def test_reps_read_their_team_and_write_their_own(users, world):
    assert visible_names(users.owner, world) == {"owner", "teammate"}
    assert visible_names(users.owner, world, "write") == {"owner"}
    assert visible_names(users.outsider, world) == {"outsider"}


def test_manager_reaches_every_team_below(users, world):
    assert visible_names(users.manager, world) == {"owner", "teammate", "manager", "deep"}
    assert visible_names(users.manager, world, "write") == {"owner", "teammate", "manager", "deep"}


def test_administrators_see_everything(users, world):
    assert visible_names(users.admin, world) == set(world)


def test_can_access_agrees_with_visible_to_for_every_user_and_record(users, world):
    people = [users.owner, users.teammate, users.outsider, users.manager, users.admin]
    for user, (name, record), action in itertools.product(people, world.items(), ["read", "write"]):
        expected = name in visible_names(user, world, action)
        assert can_access(user, record, action) is expected, (user.username, name, action)


def test_role_override_per_record_type(users, world):
    custom = Role.objects.create(
        key="auditor", name="Auditor", default_read_scope=Scope.OWN, default_write_scope=Scope.OWN
    )
    RoleScope.objects.create(role=custom, record_type="contacts.contact", read_scope=Scope.ALL, write_scope=Scope.NONE)
    auditor = UserFactory(username="auditor", role=custom, team=users.outsider.team)
    assert visible_names(auditor, world) == set(world)
    assert visible_names(auditor, world, "write") == set()
    assert scope_for(auditor, Contact, "write") == Scope.NONE


def test_write_scope_never_exceeds_read_scope(users, world):
    odd = Role.objects.create(key="odd", name="Odd", default_read_scope=Scope.OWN, default_write_scope=Scope.ALL)
    user = UserFactory(username="odd", role=odd, team=users.owner.team)
    assert scope_for(user, Contact, "write") == Scope.OWN


def test_users_without_role_or_inactive_see_nothing(users, world):
    no_role = UserFactory(username="norole", role=None, team=users.owner.team)
    assert visible_names(no_role, world) == set()
    users.manager.is_active = False
    users.manager.save()
    assert visible_names(users.manager, world) == set()


def test_user_without_team_sees_only_own_records_under_team_scope(users, world):
    lonely = UserFactory(username="lonely", role=role("sales_rep"), team=None)
    mine = ContactFactory(owner=lonely)
    assert set(visible_to(lonely, Contact).values_list("pk", flat=True)) == {mine.pk}


def test_get_visible_or_404_hides_existence_and_refuses_writes(users, world):
    from django.http import Http404

    with pytest.raises(Http404):
        get_visible_or_404(users.outsider, Contact, pk=world["owner"].pk)
    with pytest.raises(Http404):
        get_visible_or_404(users.owner, Contact, pk="not-a-number")
    with pytest.raises(PermissionDeniedError):
        get_visible_or_404(users.teammate, Contact, action="write", pk=world["owner"].pk)
    assert get_visible_or_404(users.owner, Contact, action="write", pk=world["owner"].pk) == world["owner"]


def test_visibility_costs_a_constant_number_of_queries(users, world, django_assert_max_num_queries):
    # Role scopes, the team tree, the owners' ids (a list, so the database never joins
    # users into every search), then the records; the second time only the records.
    with django_assert_max_num_queries(4):
        list(visible_to(users.manager, Contact))
    with django_assert_max_num_queries(1):
        list(visible_to(users.manager, Contact))
