"""The forecast in a real browser: a deal won through the deals service shows up in
closed-won on the forecast page, in English and in Chinese, at desktop and phone width;
the funnel, history and quota pages fit a phone too."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from .browsing import CJK, DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def won_deal(rep, amount: str):
    from django.utils import timezone

    from crm.deals.models import Pipeline, StageKind
    from crm.deals.services import deal_create, deal_move_stage

    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:  # a live-server test empties the tables the migration filled
        from crm.forecasts.tests.factories import make_pipeline

        pipeline, _stages = make_pipeline()
    won = pipeline.stages.get(kind=StageKind.WON)
    deal = deal_create(
        actor=rep,
        data={
            "name": "华为云采购 Huawei Cloud",
            "amount": amount,
            "expected_close_date": timezone.localdate() + datetime.timedelta(days=3),
        },
    )
    return deal, lambda: deal_move_stage(deal=deal, stage=won, actor=rep, reason="最优报价 Best price")


def figure(tab, name: str) -> str:
    return tab.page.inner_text(f"[data-figure='{name}']").strip()


def test_a_won_deal_appears_in_closed_won(new_tab, crm):
    rep = crm.users["rep"]
    deal, win = won_deal(rep, "88888")
    tab = new_tab()
    tab.login(rep.username, crm.password)
    tab.open("/forecasts/")
    assert figure(tab, "closed_won") == "0"
    row = tab.page.locator(f"#forecast-table tr[data-row='user:{rep.pk}']")
    expect(row).to_be_visible()  # the open deal is in the pipeline already
    assert "88,888.00" in row.inner_text()  # in best case

    win()
    tab.open("/forecasts/")
    assert figure(tab, "closed_won") == "88,888"
    assert figure(tab, "commit") == "88,888"
    expect(row.locator("[data-col='closed_won']")).to_have_text("88,888.00")
    expect(tab.page.locator("#forecast-chart canvas")).to_have_count(1)
    tab.screenshot("desktop-rep-en-forecast")
    tab.resize(PHONE)
    tab.assert_fits_width()
    tab.screenshot("phone-rep-en-forecast")
    tab.resize(DESKTOP)

    tab.switch_language("zh-hans")
    assert CJK.search(tab.page.inner_text("main h1"))
    assert "赢单金额" in tab.page.inner_text("main")
    assert figure(tab, "closed_won").replace(",", "") == "88888"  # Chinese number format
    tab.screenshot("desktop-rep-zh-forecast")
    tab.resize(PHONE)
    tab.assert_fits_width()
    tab.screenshot("phone-rep-zh-forecast")
    tab.assert_clean()

    # The API says the same.
    response = tab.page.request.get(tab.url("/api/v1/forecast/?group_by=owner"))
    assert response.status == 200
    assert response.json()["total"]["closed_won"] == "88888.00"
    assert deal.pk


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_other_forecast_pages_fit_a_phone(new_tab, crm, lang):
    manager = crm.users["manager"]
    from crm.forecasts.services import forecast_snapshot_take

    _deal, win = won_deal(crm.users["rep"], "12000")
    win()
    forecast_snapshot_take(actor=None)  # this week's point on the history chart
    tab = new_tab()
    tab.login(manager.username, crm.password)
    tab.open("/forecasts/quotas/")
    if lang != "en":
        tab.switch_language(lang)
    short = "zh" if lang != "en" else "en"
    # A manager sets a quota for a rep of their team in the grid.
    box = tab.page.locator(f"input[name='user-{crm.users['rep'].pk}']")
    box.fill("100000")
    with tab.page.expect_navigation():
        tab.page.click("#quota-form button[type=submit]")
    tab.settle()
    tab.assert_clean("quota grid saved")
    expect(box).to_have_value("100000.00")
    for name, path in (
        ("quotas", "/forecasts/quotas/"),
        ("forecast-team", "/forecasts/?group_by=team"),
        ("funnel", "/forecasts/funnel/"),
        ("history", "/forecasts/history/"),
    ):
        tab.open(path)
        if lang != "en":
            assert CJK.search(tab.page.inner_text("main h1")), path
        tab.screenshot(f"desktop-manager-{short}-{name}")
        tab.resize(PHONE)
        tab.assert_fits_width()
        tab.screenshot(f"phone-manager-{short}-{name}")
        tab.resize(DESKTOP)
        tab.assert_clean(path)
    tab.open("/forecasts/")
    attainment = tab.page.inner_text(f"#forecast-table tr[data-row='user:{crm.users['rep'].pk}']")
    assert re.search(r"12(\.0)?%", attainment), attainment


def test_an_admin_takes_a_snapshot_from_the_history_page(new_tab, crm):
    from crm.forecasts.models import ForecastSnapshot

    _deal, win = won_deal(crm.users["rep"], "5000")
    win()
    admin = crm.users["admin"]
    tab = new_tab()
    tab.login(admin.username, crm.password)
    tab.open("/forecasts/history/")
    expect(tab.page.locator("#history-chart")).to_have_count(0)
    with tab.page.expect_navigation():
        tab.page.click("main form[action$='/snapshot/'] button")
    tab.settle()
    assert "/jobs/" in tab.page.url
    tab.assert_clean("snapshot job")
    assert ForecastSnapshot.objects.filter(owner=crm.users["rep"], closed_won=5000).exists()
    tab.open("/forecasts/history/")
    expect(tab.page.locator("#history-chart canvas")).to_have_count(1)
    assert "5,000.00" in tab.page.inner_text("#history-table")
    tab.screenshot("desktop-admin-en-history")
