"""The pages in both languages, the nav entry, and bad query strings."""

from __future__ import annotations

import json
import re

import pytest

from crm.core.testing.factories import UserFactory
from tests.test_translations import _CJK, compiled_catalog, english_leftovers  # noqa: F401 - fixture

from .factories import SnapshotFactory, at, deal, moved

pytestmark = pytest.mark.django_db
PAGES = [
    "/forecasts/?period=2026-Q4",
    "/forecasts/?period=2026-Q4&group_by=team",
    "/forecasts/funnel/?period=2026-Q4",
    "/forecasts/history/?period=2026-Q4",
    "/forecasts/quotas/?period=2026-Q4",
]


@pytest.fixture
def data(users, stages):
    s = stages
    moved(
        deal(s["won"], users.owner, "1200", closed_at=at(2026, 10, 9)),
        (s["lead"], at(2026, 10, 2)),
        (s["won"], at(2026, 10, 9)),
    )
    moved(
        deal(s["negotiation"], users.teammate, "800"), (s["lead"], at(2026, 10, 2)), (s["negotiation"], at(2026, 10, 9))
    )
    deal(s["proposal"], users.owner, "40", currency="USD")
    SnapshotFactory(owner=users.owner, commit=100, weighted=50, best_case=300)
    return s


def test_the_forecast_page_shows_the_figures_and_the_chart_data(users, data, client_for):
    response = client_for(users.owner).get("/forecasts/?period=2026-Q4")
    assert response.status_code == 200
    html = response.content.decode()
    closed = re.search(r'data-figure="closed_won">([^<]+)<', html).group(1)
    assert closed == "1,200"
    assert 'id="forecast-chart"' in html and "vendor/echarts.min.js" in html
    chart = json.loads(re.search(r'<script id="forecast-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["closed_won"] == [1200.0, 0.0] or sorted(chart["closed_won"]) == [0.0, 1200.0]
    assert 'id="other-currencies"' in html and "USD" in html
    assert "Deals in other currencies" in html


def test_every_page_renders_for_each_role(users, data, client_for):
    for user in (users.owner, users.manager, users.admin, users.outsider):
        client = client_for(user)
        for url in PAGES:
            assert client.get(url).status_code == 200, (user, url)


def test_the_nav_entry_is_there_for_roles_that_view_deals(users, client_for):
    html = client_for(users.owner).get("/").content.decode()
    assert 'href="/forecasts/"' in html and ">Forecast<" in html
    nobody = UserFactory(username="nobody", role=None)
    assert 'href="/forecasts/"' not in client_for(nobody).get("/").content.decode()
    assert client_for(nobody).get("/forecasts/").status_code == 403
    assert client_for(nobody).get("/forecasts/quotas/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/forecasts/?period=2026-Q9",
        "/forecasts/?group_by=stage",
        "/forecasts/?team=abc",
        "/forecasts/funnel/?pipeline=999999",
        "/forecasts/history/?owner=1&team=999999",
    ],
)
def test_bad_query_strings_get_a_message(users, client_for, url):
    response = client_for(users.admin).get(url)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_pages_in_chinese_have_no_english_left(users, data, client_for, compiled_catalog, all_messages):  # noqa: F811
    client = client_for(users.admin)
    client.cookies["django_language"] = "zh-hans"
    problems = {}
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _CJK.search(html), url
        # This app's part of the page; the shell's menu lists other apps' entries.
        main = html[html.index('<main id="main">') :]
        leftovers = english_leftovers(main, all_messages)
        if leftovers:
            problems[url] = leftovers
    assert problems == {}
    html = client.get("/forecasts/?period=2026-Q4").content.decode()
    assert "销售预测" in html and "2026年第4季度" in html and "赢单金额" in html


@pytest.fixture
def all_messages():
    from tests.test_translations import PO_FILES, _read_catalog, _translatable

    return [e for po in PO_FILES for e in _translatable(_read_catalog(po))]
