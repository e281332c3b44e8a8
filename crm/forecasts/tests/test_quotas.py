"""Quotas: who may set them, the audit trail, the grid page and the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.accounts.models import Team
from crm.audit.models import AuditEntry
from crm.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from crm.forecasts.models import Quota
from crm.forecasts.periods import parse_period
from crm.forecasts.services import quota_delete, quota_set

Q4 = parse_period("2026-Q4")
pytestmark = pytest.mark.django_db


def test_an_admin_sets_any_quota_and_it_is_audited(users):
    quota = quota_set(actor=users.admin, period=Q4, amount="120000", user=users.outsider)
    assert quota.amount == Decimal("120000.00") and quota.currency == "CNY"
    entry = AuditEntry.objects.get(object_id=str(quota.pk), action="create")
    assert {"field": "amount", "old": None, "new": "120000.00"} in entry.changes
    again = quota_set(actor=users.admin, period=Q4, amount="130000.50", user=users.outsider)
    assert again.pk == quota.pk and again.version == 2
    update = AuditEntry.objects.get(object_id=str(quota.pk), action="update")
    assert update.changes == [{"field": "amount", "old": "120000.00", "new": "130000.50"}]
    assert Quota.objects.count() == 1


def test_a_manager_sets_quotas_for_their_teams_only(users):
    east, elsewhere = Team.objects.get(name="East"), Team.objects.get(name="Elsewhere")
    assert quota_set(actor=users.manager, period=Q4, amount=5, user=users.owner).user == users.owner
    assert quota_set(actor=users.manager, period=Q4, amount=5, team=east).team == east
    for target in ({"user": users.outsider}, {"team": elsewhere}, {"user": users.manager}):
        with pytest.raises(PermissionDeniedError):
            quota_set(actor=users.manager, period=Q4, amount=5, **target)
    with pytest.raises(PermissionDeniedError):
        quota_set(actor=users.owner, period=Q4, amount=5, user=users.teammate)


def test_bad_input_is_refused_and_nothing_is_saved(users):
    for amount in ("abc", "-1", "1.234", "1e30", "NaN", None):
        with pytest.raises(ValidationFailed) as caught:
            quota_set(actor=users.admin, period=Q4, amount=amount, user=users.owner)
        assert "amount" in caught.value.fields
    with pytest.raises(ValidationFailed):
        quota_set(actor=users.admin, period=Q4, amount=1, user=users.owner, team=Team.objects.get(name="East"))
    with pytest.raises(ValidationFailed) as caught:
        quota_set(actor=users.admin, period=Q4, amount=1, user=users.owner, currency="USD")
    assert "currency" in caught.value.fields
    assert not Quota.objects.exists()


def test_a_stale_edit_is_refused(users):
    quota = quota_set(actor=users.admin, period=Q4, amount=1, user=users.owner)
    quota_set(actor=users.admin, period=Q4, amount=2, user=users.owner, expected_version=1)
    with pytest.raises(ConflictError):
        quota_set(actor=users.admin, period=Q4, amount=3, user=users.owner, expected_version=1)
    quota.refresh_from_db()
    assert quota.amount == Decimal("2.00")


def test_delete_is_audited(users):
    quota = quota_set(actor=users.manager, period=Q4, amount=1, user=users.owner)
    with pytest.raises(PermissionDeniedError):
        quota_delete(actor=users.owner, quota=quota)
    quota_delete(actor=users.manager, quota=quota)
    assert not Quota.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(quota.pk), action="delete").exists()


# The grid page -----------------------------------------------------------------------------


def test_the_grid_saves_changed_quotas(users, client_for):
    client = client_for(users.manager)
    page = client.get("/forecasts/quotas/?period=2026-Q4")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="user-{users.owner.pk}"' in html
    assert f'name="user-{users.outsider.pk}"' not in html  # out of reach
    assert f'name="user-{users.manager.pk}"' not in html  # not their own quota
    east = Team.objects.get(name="East")
    response = client.post(
        "/forecasts/quotas/?period=2026-Q4",
        {
            "period": "2026-Q4",
            f"user-{users.owner.pk}": "1,000",
            f"team-{east.pk}": "5000",
            f"user-{users.teammate.pk}": "",
        },
    )
    assert response.status_code == 302
    assert Quota.objects.get(user=users.owner).amount == Decimal("1000.00")
    assert Quota.objects.get(team=east).amount == Decimal("5000.00")
    assert not Quota.objects.filter(user=users.teammate).exists()
    # Emptying a box removes that quota.
    response = client.post(
        "/forecasts/quotas/?period=2026-Q4",
        {"period": "2026-Q4", f"user-{users.owner.pk}": "", f"v-user-{users.owner.pk}": "1"},
    )
    assert response.status_code == 302
    assert not Quota.objects.filter(user=users.owner).exists()


def test_the_grid_saves_nothing_when_one_amount_is_wrong(users, client_for):
    client = client_for(users.admin)
    response = client.post(
        "/forecasts/quotas/",
        {"period": "2026-Q4", f"user-{users.owner.pk}": "100", f"user-{users.teammate.pk}": "lots"},
    )
    assert response.status_code == 400
    assert "Enter an amount such as 120000 or 99.50." in response.content.decode()
    assert 'value="lots"' in response.content.decode()
    assert not Quota.objects.exists()


def test_the_grid_refuses_a_stale_edit_and_keeps_the_input(users, client_for):
    quota_set(actor=users.admin, period=Q4, amount=1, user=users.owner)
    quota_set(actor=users.admin, period=Q4, amount=2, user=users.owner)  # version 2 now
    response = client_for(users.admin).post(
        "/forecasts/quotas/",
        {"period": "2026-Q4", f"user-{users.owner.pk}": "777", f"v-user-{users.owner.pk}": "1"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="777"' in html and "2.00" in html
    assert Quota.objects.get(user=users.owner).amount == Decimal("2.00")


def test_a_rep_sees_quotas_but_cannot_change_them(users, client_for):
    quota_set(actor=users.admin, period=Q4, amount=1, user=users.teammate)
    client = client_for(users.owner)
    html = client.get("/forecasts/quotas/?period=2026-Q4").content.decode()
    assert '<input type="text"' not in html and "1.00" in html
    client.post("/forecasts/quotas/", {"period": "2026-Q4", f"user-{users.teammate.pk}": "99"})
    assert Quota.objects.get(user=users.teammate).amount == Decimal("1.00")


def test_bad_period_on_the_grid_is_a_message_not_a_500(users, client_for):
    response = client_for(users.admin).get("/forecasts/quotas/?period=2026-13")
    assert response.status_code == 400
    assert "A month is a number from 1 to 12." in response.content.decode()


# The API -----------------------------------------------------------------------------------


def test_quotas_crud_through_the_api(users, api_for):
    api = api_for(users.manager)
    created = api.post(
        "/api/v1/quotas/", {"user": users.owner.pk, "period": "2026-Q4", "amount": "1500"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["amount"] == "1500.00" and body["period"] == "2026-Q4" and body["period_start"] == "2026-10-01"
    replaced = api.post(
        "/api/v1/quotas/", {"user": users.owner.pk, "period": "2026-Q4", "amount": "1600"}, format="json"
    )
    assert replaced.status_code == 200 and replaced.json()["id"] == body["id"]
    listed = api.get("/api/v1/quotas/", {"period": "2026-Q4"}).json()
    assert [q["id"] for q in listed["results"]] == [body["id"]]
    stale = api.patch(f"/api/v1/quotas/{body['id']}/", {"amount": "1", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    ok = api.patch(f"/api/v1/quotas/{body['id']}/", {"amount": "1700", "version": 2}, format="json")
    assert ok.status_code == 200 and ok.json()["amount"] == "1700.00"
    bad = api.patch(f"/api/v1/quotas/{body['id']}/", {"amount": "x"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["fields"]
    assert api.delete(f"/api/v1/quotas/{body['id']}/").status_code == 204
    assert not Quota.objects.exists()


def test_the_api_refuses_forged_and_out_of_reach_targets(users, api_for):
    api = api_for(users.manager)
    forged = api.post("/api/v1/quotas/", {"user": 987654, "period": "2026-Q4", "amount": "1"}, format="json")
    assert forged.status_code == 400 and "user" in forged.json()["error"]["fields"]
    hidden = api.post("/api/v1/quotas/", {"user": users.outsider.pk, "period": "2026-Q4", "amount": "1"}, format="json")
    assert hidden.status_code == 400
    self_quota = api.post(
        "/api/v1/quotas/", {"user": users.manager.pk, "period": "2026-Q4", "amount": "1"}, format="json"
    )
    assert self_quota.status_code == 403 and self_quota.json()["error"]["code"] == "permission_denied"
    bad_period = api.post("/api/v1/quotas/", {"user": users.owner.pk, "period": "Q4", "amount": "1"}, format="json")
    assert bad_period.status_code == 400 and "period" in bad_period.json()["error"]["fields"]
    rep = api_for(users.owner).post(
        "/api/v1/quotas/", {"user": users.teammate.pk, "period": "2026", "amount": "1"}, format="json"
    )
    assert rep.status_code == 403
    outsider_quota = quota_set(actor=users.admin, period=Q4, amount=1, user=users.outsider)
    assert api.get(f"/api/v1/quotas/{outsider_quota.pk}/").status_code == 404
    assert api.get("/api/v1/quotas/abc/").status_code == 404
    assert not Quota.objects.exclude(pk=outsider_quota.pk).exists()
