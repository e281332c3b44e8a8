"""The board: totals from one query over the filtered visible deals, lazy columns,
moves through the service (JSON for the script), quick edit, constant queries."""

import datetime
import decimal
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.deals.board import CARDS_PER_LOAD, column_totals
from crm.deals.models import Deal
from crm.deals.selectors import pipeline_stages

from .factories import DealFactory, PipelineFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db
BOARD = reverse("deals:board")


def count_of(html: str, stage_id: int) -> int:
    match = re.search(rf'id="totals-{stage_id}".*?data-count="(\d+)"', html, flags=re.S)
    return int(match.group(1))


def test_totals_count_sum_and_weighted(users):
    proposal = stage(index=2)  # 50 %
    DealFactory(owner=users.owner, stage=proposal, amount=decimal.Decimal("1000.00"))
    DealFactory(owner=users.teammate, stage=proposal, amount=decimal.Decimal("501.10"))
    DealFactory(owner=users.owner, stage=proposal, amount=decimal.Decimal("200"), currency="USD")
    DealFactory(owner=users.outsider, stage=proposal, amount=decimal.Decimal("99999"))
    qs = Deal.objects.filter(owner__in=[users.owner, users.teammate])
    totals = column_totals(qs, list(pipeline_stages(default_pipeline())))
    count, money = totals[proposal.pk]
    assert count == 3
    assert money == {
        "CNY": (decimal.Decimal("1501.10"), decimal.Decimal("750.55")),
        "USD": (decimal.Decimal("200.00"), decimal.Decimal("100.00")),
    }


def test_the_board_shows_only_visible_deals_and_applies_the_filters(users, client_for):
    first, proposal, won = stage(), stage(index=2), stage("won")
    mine = DealFactory(owner=users.owner, stage=first, amount=5000, name="Mine 我的")
    DealFactory(owner=users.teammate, stage=first, amount=100, name="Teammate's")
    hidden = DealFactory(owner=users.outsider, stage=first, name="Hidden 隐藏")
    DealFactory(owner=users.owner, stage=proposal, expected_close_date=datetime.date(2030, 1, 1))
    DealFactory(owner=users.owner, stage=won, status="won", close_reason="ok", closed_at=timezone.now())
    DealFactory(
        owner=users.owner,
        stage=won,
        status="won",
        close_reason="ok",
        closed_at=timezone.now() - datetime.timedelta(days=40),
    )
    client = client_for(users.owner)
    html = client.get(BOARD).content.decode()
    assert count_of(html, first.pk) == 2 and count_of(html, proposal.pk) == 1
    assert count_of(html, won.pk) == 1  # closed in the last 30 days only
    assert "Mine 我的" in html and "Hidden 隐藏" not in html and hidden.name not in html
    html = client.get(BOARD, {"owner": users.owner.pk, "min_amount": 1000}).content.decode()
    assert count_of(html, first.pk) == 1 and "Teammate" not in html
    html = client.get(BOARD, {"close_after": "2029-12-01"}).content.decode()
    assert count_of(html, first.pk) == 0 and count_of(html, proposal.pk) == 1
    html = client.get(BOARD, {"team": users.owner.team_id, "max_amount": 200}).content.decode()
    assert count_of(html, first.pk) == 1 and "Teammate" in html
    assert f'id="deal-card-{mine.pk}"' not in html
    other = PipelineFactory()
    html = client.get(BOARD, {"pipeline": other.pk}).content.decode()
    assert "Mine 我的" not in html and other.name_en in html
    assert client.get(BOARD, {"pipeline": 987654}).status_code == 404
    assert client_for(users.outsider).get(BOARD).status_code == 200


def test_columns_load_lazily(users, client_for):
    first = stage()
    for i in range(CARDS_PER_LOAD + 5):
        DealFactory(
            owner=users.owner, stage=first, expected_close_date=datetime.date(2027, 1, 1) + datetime.timedelta(days=i)
        )
    client = client_for(users.owner)
    html = client.get(BOARD).content.decode()
    assert count_of(html, first.pk) == CARDS_PER_LOAD + 5
    assert html.count('<article class="deal-card') == CARDS_PER_LOAD and "load-more" in html
    more = client.get(reverse("deals:board_column", args=[first.pk]), {"offset": CARDS_PER_LOAD}).content.decode()
    assert more.count('<article class="deal-card') == 5 and "load-more" not in more
    # The cards close soonest first, and the next page continues where the first stopped.
    names = re.findall(r'class="deal-card-name">([^<]+)<', html + more)
    expected = list(
        Deal.objects.filter(stage=first).order_by("expected_close_date", "pk").values_list("name", flat=True)
    )
    assert names == expected


def test_the_board_costs_the_same_queries_for_few_and_many_deals(users, client_for):
    client = client_for(users.owner)
    stages = list(pipeline_stages(default_pipeline()))
    for s in stages:
        DealFactory(owner=users.owner, stage=s, status=s.kind, close_reason="x" if s.is_closed else "")
    client.get(BOARD)
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD, {"owner": users.owner.pk})
    for s in stages:
        for _ in range(30):
            DealFactory(owner=users.owner, stage=s, status=s.kind, close_reason="x" if s.is_closed else "")
    with CaptureQueriesContext(connection) as many:
        client.get(BOARD, {"owner": users.owner.pk})
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_move_answers_json(users, client_for):
    first, second, won = stage(), stage(index=1), stage("won")
    deal = DealFactory(owner=users.owner, stage=first, amount=1000)
    client = client_for(users.owner)
    url = reverse("deals:board_move", args=[deal.pk])
    refused = client.post(url, {"stage": won.pk, "version": deal.version})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Give the reason the deal was won or lost."
    client.cookies["django_language"] = "zh-hans"
    refused = client.post(url, {"stage": won.pk, "version": deal.version})
    assert refused.json()["error"]["message"] == "请填写赢单或输单的原因。"
    client.cookies["django_language"] = "en"
    other = stage(pipeline=PipelineFactory())
    assert client.post(url, {"stage": other.pk}).status_code == 400
    assert client.post(url, {"stage": second.pk, "version": deal.version + 5}).status_code == 409
    assert client_for(users.teammate).post(url, {"stage": second.pk}).status_code == 403
    assert client_for(users.outsider).post(url, {"stage": second.pk}).status_code == 404
    ok = client.post(url + f"?owner={users.owner.pk}", {"stage": second.pk, "version": deal.version})
    assert ok.status_code == 200
    body = ok.json()
    assert body["ok"] and body["stage"] == second.pk and body["version"] == deal.version + 1
    assert set(body["headers"]) == {str(first.pk), str(second.pk)}
    assert 'data-count="1"' in body["headers"][str(second.pk)]
    assert 'data-count="0"' in body["headers"][str(first.pk)]
    won_move = client.post(url, {"stage": won.pk, "reason": "签约 Signed", "version": deal.version + 1})
    assert won_move.json()["status"] == "won"
    assert Deal.objects.get(pk=deal.pk).close_reason == "签约 Signed"


def test_quick_edit(users, client_for):
    deal = DealFactory(owner=users.owner, amount=1000)
    client = client_for(users.owner)
    url = reverse("deals:board_quick_edit", args=[deal.pk])
    form = client.get(url).content.decode()
    assert f'name="q{deal.pk}-amount"' in form
    bad = client.post(url, {f"q{deal.pk}-amount": "-5", f"q{deal.pk}-version": deal.version}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    data = {
        f"q{deal.pk}-amount": "2500.50",
        f"q{deal.pk}-expected_close_date": "2027-06-30",
        f"q{deal.pk}-next_step": "寄送合同 Send the contract",
        f"q{deal.pk}-next_step_date": "2027-06-01",
        f"q{deal.pk}-version": deal.version,
    }
    saved = client.post(url, data, HTTP_HX_REQUEST="true")
    html = saved.content.decode()
    assert saved.status_code == 200 and "寄送合同 Send the contract" in html and "2,500.50" in html
    assert f'hx-swap-oob="innerHTML:#totals-{deal.stage_id}"' in html
    deal.refresh_from_db()
    assert deal.amount == decimal.Decimal("2500.50") and deal.expected_close_date == datetime.date(2027, 6, 30)
    stale = client.post(url, data, HTTP_HX_REQUEST="true")
    assert "Someone else changed this record" in stale.content.decode()
    assert client_for(users.teammate).get(url).status_code == 403
    assert client_for(users.outsider).get(url).status_code == 404


def test_without_any_pipeline_the_board_says_so(users, client_for):
    from crm.core.errors import ValidationFailed
    from crm.deals.models import DealStageChange, Pipeline, Stage
    from crm.deals.services import deal_create

    DealStageChange.objects.all().delete()
    Deal.all_objects.all().delete()
    Stage.objects.all().delete()
    Pipeline.objects.all().delete()
    response = client_for(users.admin).get(BOARD)
    assert response.status_code == 200
    assert "There is no pipeline yet" in response.content.decode()
    with pytest.raises(ValidationFailed) as caught:
        deal_create(actor=users.owner, data={"name": "Nowhere"})
    assert "pipeline" in caught.value.fields
