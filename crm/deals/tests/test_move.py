"""Moving a deal between stages: one service for page, board, API and automation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.audit.models import AuditEntry
from crm.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from crm.deals.models import Deal, DealStageChange
from crm.deals.services import deal_move_stage, deal_update

from .factories import DealFactory, PipelineFactory, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(users):
    return DealFactory(owner=users.owner, stage_changed_at=timezone.now() - datetime.timedelta(hours=50))


def test_moving_records_the_change_and_the_time_in_the_stage(users, deal):
    first = deal.stage
    second = stage(index=1)
    moved = deal_move_stage(deal=deal, stage=second, actor=users.owner)
    assert moved.stage == second and moved.status == "open" and moved.version == deal.version + 1
    change = DealStageChange.objects.filter(deal=deal).latest("changed_at", "id")
    assert change.from_stage == first and change.to_stage == second and change.changed_by == users.owner
    assert 50 * 3600 - 5 <= change.seconds_in_stage <= 50 * 3600 + 60
    entry = AuditEntry.objects.filter(object_id=str(deal.pk), action="update").latest("created_at", "id")
    assert {"field": "stage", "old": first.pk, "new": second.pk} in entry.changes
    assert entry.extra == {"move": True}


def test_closing_needs_a_reason_and_sets_status_and_closed_at(users, deal):
    won = stage("won")
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as caught:
            deal_move_stage(deal=deal, stage=won, actor=users.owner, reason=reason)
        assert caught.value.fields == {"close_reason": ["Give the reason the deal was won or lost."]}
    deal.refresh_from_db()
    assert deal.status == "open" and deal.stage_changes.count() == 1
    moved = deal_move_stage(deal=deal, stage=won, actor=users.owner, reason=" 价格 Price ")
    assert moved.status == "won" and moved.close_reason == "价格 Price" and moved.closed_at is not None


def test_the_reason_message_is_translated(users, deal):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        deal_move_stage(deal=deal, stage=stage("lost"), actor=users.owner)
    message = caught.value.fields["close_reason"][0]
    assert message != "Give the reason the deal was won or lost." and any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_moving_back_to_an_open_stage_reopens(users, deal):
    lost = deal_move_stage(deal=deal, stage=stage("lost"), actor=users.owner, reason="No budget")
    assert lost.status == "lost"
    reopened = deal_move_stage(deal=lost, stage=stage(index=2), actor=users.owner)
    assert reopened.status == "open" and reopened.closed_at is None and reopened.close_reason == ""
    assert [c.to_stage.kind for c in reopened.stage_changes.order_by("changed_at", "id")] == ["open", "lost", "open"]


def test_a_stage_of_another_pipeline_is_refused(users, deal):
    other = PipelineFactory()
    with pytest.raises(ValidationFailed) as caught:
        deal_move_stage(deal=deal, stage=stage(pipeline=other), actor=users.owner)
    assert "stage" in caught.value.fields
    with pytest.raises(ValidationFailed):
        deal_move_stage(deal=deal, stage="not-an-id", actor=users.owner)


def test_a_stale_move_is_refused(users, deal):
    with pytest.raises(ConflictError):
        deal_move_stage(deal=deal, stage=stage(index=1), actor=users.owner, expected_version=deal.version - 1 or 99)
    assert Deal.objects.get(pk=deal.pk).stage == deal.stage


def test_write_scope_is_checked(users, deal):
    with pytest.raises(PermissionDeniedError):
        deal_move_stage(deal=deal, stage=stage(index=1), actor=users.teammate)
    assert deal_move_stage(deal=deal, stage=stage(index=1), actor=users.manager).stage == stage(index=1)


def test_the_same_stage_changes_nothing(users, deal):
    same = deal_move_stage(deal=deal, stage=deal.stage, actor=users.owner)
    assert same.version == deal.version and deal.stage_changes.count() == 1


def test_update_routes_a_stage_change_through_the_move(users, deal):
    with pytest.raises(ValidationFailed) as caught:
        deal_update(instance=deal, actor=users.owner, data={"stage": stage("won")})
    assert "close_reason" in caught.value.fields
    updated = deal_update(
        instance=deal,
        actor=users.owner,
        data={"stage": stage("won"), "close_reason": "签了 Signed", "amount": "5000"},
        expected_version=deal.version,
    )
    assert updated.status == "won" and updated.close_reason == "签了 Signed" and str(updated.amount) == "5000.00"
    assert updated.stage_changes.count() == 2
    # The status cannot be set on its own.
    with pytest.raises(ValidationFailed):
        deal_update(instance=updated, actor=users.owner, data={"status": "open"})
    with pytest.raises(ValidationFailed):
        deal_update(instance=updated, actor=users.owner, data={"close_reason": ""})


def test_update_to_another_pipeline_starts_in_its_first_stage(users, deal):
    other = PipelineFactory()
    moved = deal_update(instance=deal, actor=users.owner, data={"pipeline": other, "stage": deal.stage})
    assert moved.pipeline == other and moved.stage == stage(pipeline=other)
    assert moved.stage_changes.count() == 2


def test_api_move(users, deal, api_for):
    api = api_for(users.owner)
    url = reverse("deal-move", args=[deal.pk])
    refused = api.post(url, {"stage": stage("won").pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["close_reason"] == ["Give the reason the deal was won or lost."]
    stale = api.post(url, {"stage": stage(index=1).pk}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 409
    forged = api.post(url, {"stage": 987654}, format="json")
    assert forged.status_code == 400 and "stage" in forged.json()["error"]["fields"]
    bad = api.post(url, {"stage": "x"}, format="json")
    assert bad.status_code == 400
    ok = api.post(url, {"stage": stage("won").pk, "reason": "Signed"}, format="json", HTTP_IF_MATCH=f'"{deal.version}"')
    assert ok.status_code == 200, ok.json()
    body = ok.json()
    assert body["status"] == "won" and body["close_reason"] == "Signed" and ok["ETag"] == f'"{deal.version + 1}"'
    history = api.get(reverse("deal-stage-history", args=[deal.pk])).json()
    assert [h["to_stage"] for h in history] == [stage("won").pk, deal.stage_id]
    assert history[0]["seconds_in_stage"] >= 50 * 3600 - 5
    assert api_for(users.outsider).post(url, {"stage": stage(index=1).pk}, format="json").status_code == 404
    assert api_for(users.teammate).post(url, {"stage": stage(index=1).pk}, format="json").status_code == 403


def test_api_patch_of_the_stage_moves_too(users, deal, api_for):
    url = reverse("deal-detail", args=[deal.pk])
    response = api_for(users.owner).patch(url, {"stage": stage("lost").pk, "close_reason": "Timing"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "lost" and deal.stage_changes.count() == 2


def test_page_move_control(users, deal, client_for):
    client = client_for(users.owner)
    url = reverse("deals:deal_stages", args=[deal.pk])
    refused = client.post(url, {"stage": stage("won").pk, "version": deal.version}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert "Give the reason the deal was won or lost." in refused.content.decode()
    assert Deal.objects.get(pk=deal.pk).status == "open"
    response = client.post(url, {"stage": stage("won").pk, "reason": "Signed 签约", "version": deal.version})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == "won" and deal.close_reason == "Signed 签约"
    panel = client.get(url).content.decode()
    assert "Won" in panel and "Qualification" in panel and "Stayed 2 days 2 hours" in panel
    stale = client.post(url, {"stage": stage(index=1).pk, "version": 1}, HTTP_HX_REQUEST="true")
    assert "Someone else changed this record" in stale.content.decode()
    assert client_for(users.teammate).post(url, {"stage": stage(index=1).pk}).status_code == 403
    assert client_for(users.outsider).get(url).status_code == 404


def test_a_merge_keeps_status_and_pipeline_in_line_with_the_stage(users, api_for):
    from crm.contacts.tests.factories import ContactFactory
    from crm.deals.models import DealContact

    other = PipelineFactory()
    survivor = DealFactory(owner=users.owner)
    loser = DealFactory(owner=users.owner, pipeline=other, stage=stage("won", pipeline=other), status="won")
    shared = ContactFactory(owner=users.owner)
    DealContact.objects.create(deal=survivor, contact=shared, role="user")
    DealContact.objects.create(deal=loser, contact=shared, role="influencer")
    body = {"survivor": survivor.pk, "others": [loser.pk], "fields": {"stage": loser.pk}}
    api = api_for(users.owner)
    # The same person on both deals cannot be combined: refused, nothing changed.
    refused = api.post(reverse("deal-merge"), body, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_failed"
    assert Deal.objects.get(pk=survivor.pk).stage == survivor.stage
    DealContact.objects.filter(deal=loser).delete()
    response = api.post(reverse("deal-merge"), body, format="json")
    assert response.status_code == 200, response.json()
    merged = Deal.objects.get(pk=survivor.pk)
    assert merged.stage == loser.stage and merged.pipeline == other
    assert merged.status == "won" and merged.closed_at is not None
    assert merged.stage_changes.count() == 2  # the loser's history came along
