"""New leads without an owner are assigned: form target, then rules by priority, round-robin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.core.testing.factories import TeamFactory, UserFactory
from crm.leads.assignment import assign_owner, round_robin
from crm.leads.models import AssignmentRule
from crm.leads.services import assignment_rule_create, lead_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(users):
    team = TeamFactory(name="North")
    members = [UserFactory(username=f"north{i}", team=team) for i in range(3)]
    return team, members


def test_rules_in_priority_order_by_region_and_source(users, north):
    team, members = north
    AssignmentRule.objects.create(name="Events", position=1, source="event", user=users.teammate)
    AssignmentRule.objects.create(name="North China", position=2, region="华北", team=team)
    AssignmentRule.objects.create(name="Everything else", position=9, user=users.manager)
    assert assign_owner(data={"region": "华东", "source": "event"}) == users.teammate
    assert assign_owner(data={"region": "华北 北京", "source": "web_form"}) == members[0]
    assert assign_owner(data={"region": "", "source": "manual"}) == users.manager


def test_round_robin_takes_turns_and_skips_inactive_members(north):
    team, members = north
    members[1].is_active = False
    members[1].save()
    rule = AssignmentRule.objects.create(name="North", team=team)
    got = [assign_owner(data={}) for _ in range(4)]
    assert got == [members[0], members[2], members[0], members[2]]
    rule.refresh_from_db()
    assert rule.last_assigned == members[2]


def test_round_robin_locks_the_rule_row(north):
    team, _members = north
    rule = AssignmentRule.objects.create(name="North", team=team)
    with CaptureQueriesContext(connection) as queries:
        round_robin(rule)
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


def test_inactive_rules_and_inactive_named_users_are_skipped(users):
    gone = UserFactory(username="gone", is_active=False)
    AssignmentRule.objects.create(name="Off", position=0, user=users.teammate, active=False)
    AssignmentRule.objects.create(name="Gone", position=1, user=gone)
    AssignmentRule.objects.create(name="Fallback", position=2, user=users.manager)
    assert assign_owner(data={}) == users.manager


def test_lead_create_uses_rules_only_without_an_explicit_owner(users):
    AssignmentRule.objects.create(name="Typed in", source="manual", user=users.teammate)
    assert lead_create(actor=users.owner, data={"name": "A"}).owner == users.teammate  # manual by default
    assert lead_create(actor=users.owner, data={"name": "B", "owner": users.owner}).owner == users.owner
    assert lead_create(actor=users.owner, data={"name": "C", "source": "event"}).owner == users.owner


def test_a_rule_needs_exactly_one_target(users):
    from crm.core.errors import PermissionDeniedError, ValidationFailed

    with pytest.raises(ValidationFailed):
        assignment_rule_create(actor=users.admin, data={"name": "Nobody"})
    with pytest.raises(PermissionDeniedError):
        assignment_rule_create(actor=users.manager, data={"name": "Mine", "user": users.manager})


def test_rules_admin_pages_and_api_are_audited(users, client_for, api_for, north):
    team, _members = north
    client = client_for(users.admin)
    assert client.get(reverse("leads:rule_list")).status_code == 200
    response = client.post(
        reverse("leads:rule_add"),
        {"name": "East web", "position": 3, "active": "on", "region": "华东", "team": team.pk},
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    rule = AssignmentRule.objects.get(name="East web")
    assert AuditEntry.objects.filter(action="create", object_id=str(rule.pk), actor=users.admin).exists()
    both = client.post(
        reverse("leads:rule_edit", args=[rule.pk]),
        {"name": "East web", "position": 3, "user": users.owner.pk, "team": team.pk},
    )
    assert both.status_code == 400 and "either a user or a team" in both.content.decode()
    assert client_for(users.manager).get(reverse("leads:rule_list")).status_code == 403

    api = api_for(users.admin)
    url = reverse("assignmentrule-detail", args=[rule.pk])
    changed = api.patch(url, {"region": "华南"}, format="json")
    assert changed.status_code == 200 and changed.json()["region"] == "华南"
    entry = AuditEntry.objects.filter(action="update", object_id=str(rule.pk)).get()
    assert {"field": "region", "old": "华东", "new": "华南"} in entry.changes
    invalid = api.post(
        reverse("assignmentrule-list"), {"name": "x", "user": users.owner.pk, "team": team.pk}, format="json"
    )
    assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "validation_failed"
    assert api_for(users.owner).get(reverse("assignmentrule-list")).status_code == 403
    assert api.delete(url).status_code == 204
    assert AuditEntry.objects.filter(action="delete", object_id=str(rule.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_takes_turns_on_postgresql():
    """Leads created at the same moment by several web processes go to different people:
    the rule's row is locked while the next member is chosen (PostgreSQL only; SQLite
    runs one writer at a time anyway)."""
    import threading
    from collections import Counter

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    team = TeamFactory(name="Rush")
    members = [UserFactory(username=f"rush{i}", team=team, role=None) for i in range(2)]
    AssignmentRule.objects.create(name="Rush", team=team)
    barrier = threading.Barrier(4)
    owners, errors = [], []

    def create(i):
        try:
            barrier.wait(timeout=10)
            owners.append(lead_create(actor=None, data={"name": f"Rush {i}"}).owner_id)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Counter(owners) == {members[0].pk: 2, members[1].pk: 2}


def test_a_rep_whose_new_lead_goes_elsewhere_lands_on_the_list(users, client_for):
    from crm.leads.models import Lead

    AssignmentRule.objects.create(name="Elsewhere", user=users.outsider)
    client = client_for(users.owner)
    response = client.post(reverse("leads:lead_add"), {"name": "Passed on", "source": "manual", "score": 0})
    assert response.status_code == 302 and response.url == reverse("leads:lead_list")
    assert Lead.objects.get(name="Passed on").owner == users.outsider
    assert "The assignment rules gave Passed on to" in client.get(response.url).content.decode()


def test_automation_steps_plug_in_before_the_rules(users):
    """The automation app adds its own assignment through register_assignment_step."""
    from crm.leads import assignment

    AssignmentRule.objects.create(name="Default", user=users.manager)

    def vip_step(data):
        return users.teammate if "VIP" in (data.get("name") or "") else None

    assignment.register_assignment_step(vip_step)
    try:
        assert lead_create(actor=users.owner, data={"name": "VIP buyer"}).owner == users.teammate
        assert lead_create(actor=users.owner, data={"name": "Plain buyer"}).owner == users.manager
    finally:
        assignment._extra_steps.remove(vip_step)
