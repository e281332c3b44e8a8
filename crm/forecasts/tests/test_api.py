"""GET /api/v1/forecast/ and /api/v1/funnel/, and their place in the OpenAPI schema."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from crm.core.testing.factories import UserFactory

from .factories import at, deal, moved

pytestmark = pytest.mark.django_db


def test_forecast_endpoint(users, stages, api_for):
    deal(stages["negotiation"], users.owner, "1000")
    deal(stages["won"], users.owner, "250.50", closed_at=at(2026, 10, 9))
    deal(stages["won"], users.outsider, "9", closed_at=at(2026, 10, 9))
    response = api_for(users.owner).get("/api/v1/forecast/", {"period": "2026-Q4", "group_by": "owner"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {
        "key": "2026-Q4",
        "kind": "quarter",
        "label": "Q4 2026",
        "start": "2026-10-01",
        "end": "2027-01-01",
    }
    assert body["currency"] == "CNY" and body["commit_threshold"] == 75
    assert body["total"]["closed_won"] == "250.50"
    assert body["total"]["commit"] == "1250.50"
    assert [r["user"] for r in body["rows"]] == [users.owner.pk]
    by_team = api_for(users.admin).get("/api/v1/forecast/", {"period": "2026-Q4", "group_by": "team"}).json()
    assert {r["label"] for r in by_team["rows"]} == {"Sales", "East", "Elsewhere"}


def test_funnel_endpoint(users, stages, sales, api_for):
    s = stages
    moved(deal(s["won"], users.owner, "10"), (s["lead"], at(2026, 10, 2)), (s["won"], at(2026, 10, 4)))
    moved(deal(s["lead"], users.owner, "10"), (s["lead"], at(2026, 10, 2)))
    response = api_for(users.manager).get("/api/v1/funnel/", {"period": "2026-Q4", "pipeline": sales[0].pk})
    assert response.status_code == 200
    body = response.json()
    assert (body["steps"][0]["label"], body["steps"][0]["reached"]) == ("Lead", 2)
    assert body["steps"][0]["conversion_to_next"] == "50.0"
    assert body["steps"][-1]["won"] is True and body["win_rate"] == "50.0"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "next"}, "period"),
        ({"group_by": "stage"}, "group_by"),
        ({"pipeline": "abc"}, "pipeline"),
        ({"pipeline": "99999999"}, "pipeline"),
        ({"team": "-4"}, "team"),
    ],
)
def test_bad_parameters_get_the_error_shape(users, api_for, params, field):
    response = api_for(users.admin).get("/api/v1/forecast/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_chinese_error_messages(users, api_for):
    response = api_for(users.admin).get("/api/v1/funnel/", {"period": "2026-13"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["period"] == ["月份是 1 到 12 之间的数字。"]


def test_no_deal_permission_no_forecast(users, api_for):
    nobody = UserFactory(username="nobody", role=None)
    for url in ("/api/v1/forecast/", "/api/v1/funnel/", "/api/v1/quotas/", "/api/v1/forecast-snapshots/"):
        response = api_for(nobody).get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "permission_denied"


def test_the_schema_lists_the_endpoints_without_warnings(db):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # Only this app's part: other apps answer for theirs in crm/core/tests/test_api_schema.py.
    mine = re.compile(r"crm/forecasts/|ForecastViewSet|FunnelViewSet|QuotaViewSet|SnapshotViewSet")
    problems = [m for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache] if mine.search(m)]
    assert problems == []
    for path in (
        "/api/v1/forecast/",
        "/api/v1/funnel/",
        "/api/v1/quotas/",
        "/api/v1/quotas/{id}/",
        "/api/v1/forecast-snapshots/",
        "/api/v1/forecast-snapshots/history/",
        "/api/v1/forecast-snapshots/take/",
    ):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/forecast/"]["get"]["parameters"]}
    assert {"period", "group_by", "pipeline", "team", "owner"} <= params
