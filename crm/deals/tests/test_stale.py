"""Stale deals: an overdue next step, or no activity for longer than the pipeline's
number of days; flagged on the board, filtered in the list and the API, listed for
the owner and the manager."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.deals.models import Deal, Pipeline
from crm.deals.selectors import deals_stale_for, stale_condition

from .factories import DealFactory, PipelineFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db


def age(deal, days, *, activity_days=None):
    now = timezone.now()
    Deal.objects.filter(pk=deal.pk).update(
        updated_at=now - datetime.timedelta(days=days),
        last_activity_at=None if activity_days is None else now - datetime.timedelta(days=activity_days),
    )
    return deal


@pytest.fixture
def deals(users):
    today = timezone.localdate()
    slow = PipelineFactory(stale_after_days=30)
    return {
        "fresh": DealFactory(owner=users.owner, name="fresh"),
        "overdue": DealFactory(
            owner=users.owner, name="overdue", next_step="Call", next_step_date=today - datetime.timedelta(days=1)
        ),
        "quiet": age(DealFactory(owner=users.teammate, name="quiet"), 20),
        "quiet_but_active": age(DealFactory(owner=users.owner, name="quiet but active"), 20, activity_days=2),
        "quiet_slow_pipeline": age(
            DealFactory(owner=users.owner, name="slow pipeline", pipeline=slow, stage=stage(pipeline=slow)), 20
        ),
        "closed": age(
            DealFactory(owner=users.owner, name="closed", stage=stage("lost"), status="lost", close_reason="x"), 90
        ),
        "foreign": age(DealFactory(owner=users.outsider, name="foreign"), 90),
    }


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_the_rule(deals):
    assert default_pipeline().stale_after_days == 14
    assert names(Deal.objects.filter(stale_condition())) == ["foreign", "overdue", "quiet"]
    Pipeline.objects.filter(pk=default_pipeline().pk).update(stale_after_days=30)
    assert names(Deal.objects.filter(stale_condition())) == ["foreign", "overdue"]


def test_the_owners_and_the_managers_view(users, deals, client_for):
    assert names(deals_stale_for(users.owner)) == ["overdue", "quiet"]  # the rep reads the team
    assert names(deals_stale_for(users.manager)) == ["overdue", "quiet"]
    assert names(deals_stale_for(users.outsider)) == ["foreign"]
    page = client_for(users.manager).get(reverse("deals:stale_deals")).content.decode()
    assert "overdue" in page and "quiet" in page and "foreign" not in page
    assert "Next step overdue since" in page and "No activity for 20 days" in page
    mine = client_for(users.owner).get(reverse("deals:stale_deals"), {"mine": "1"}).content.decode()
    assert "overdue" in mine and ">quiet<" not in mine


def test_list_api_and_board(users, deals, client_for, api_for):
    html = client_for(users.owner).get(reverse("deals:deal_list"), {"stale": "true"}).content.decode()
    assert deals["overdue"].get_absolute_url() in html and deals["fresh"].get_absolute_url() not in html
    not_stale = client_for(users.owner).get(reverse("deals:deal_list"), {"stale": "false"}).content.decode()
    assert deals["fresh"].get_absolute_url() in not_stale and deals["overdue"].get_absolute_url() not in not_stale
    ids = {r["id"] for r in api_for(users.owner).get(reverse("deal-list"), {"stale": "true"}).json()["results"]}
    assert ids == {deals["overdue"].pk, deals["quiet"].pk}
    board = client_for(users.owner).get(reverse("deals:board")).content.decode()
    card = board[board.index(f'id="deal-card-{deals["quiet"].pk}"') - 40 :][:600]
    assert "is-stale" in card and "No activity for 20 days" in card
    fresh = board[board.index(f'id="deal-card-{deals["fresh"].pk}"') - 40 :][:300]
    assert "is-stale" not in fresh
