"""The deals board in a real browser: drag a deal to Won, give the reason, and the
move is saved; on a phone the stage select moves a deal. Both languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import CJK, PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def pipeline(transactional_db):
    from crm.deals.tests.factories import default_pipeline

    return default_pipeline()


def drag(page, source, target) -> None:
    """Drag with real mouse moves, as a person does (SortableJS follows the pointer)."""
    start, end = source.bounding_box(), target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + 12
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 15, y + 15, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=20)
    page.mouse.up()


def _deal(crm, pipeline, name, amount="250000"):
    from crm.deals.services import deal_create

    return deal_create(
        actor=crm.users["rep"],
        data={"name": name, "company": crm.companies[0], "amount": amount, "pipeline": pipeline},
    )


def test_drag_a_deal_to_won_with_the_reason(new_tab, crm, pipeline):
    from crm.deals.models import Deal

    deal = _deal(crm, pipeline, "Acme 机械臂 Robot arms")
    _deal(crm, pipeline, "Acme 备件 Spare parts", amount="8000")
    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(f"/pipeline/board/?pipeline={pipeline.pk}")
    first = pipeline.stages.order_by("position").first()
    won = pipeline.stages.get(kind="won")
    card = page.locator(f"#deal-card-{deal.pk}")
    expect(page.locator(f'.board-col[data-stage="{first.pk}"] #deal-card-{deal.pk}')).to_be_visible()
    expect(page.locator(f"#totals-{first.pk} .board-count")).to_have_attribute("data-count", "2")
    tab.screenshot("desktop-en-deals-board")

    won_cards = page.locator(f'.board-col[data-stage="{won.pk}"] .board-cards')
    drag(page, card, won_cards)
    dialog = page.locator("#close-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Why was this deal won?")
    # An empty reason is refused in the dialog itself.
    page.click("#close-dialog-ok")
    expect(page.locator("#close-dialog-error")).to_be_visible()
    tab.screenshot("desktop-en-deals-board-reason", full_page=False)
    page.fill("#close-reason", "最佳技术方案 Best technical fit")
    page.click("#close-dialog-ok")
    expect(page.locator(".board-note.success")).to_contain_text("Acme 机械臂 Robot arms")
    tab.settle()
    tab.assert_clean("moving the deal to won")
    expect(won_cards.locator(f"#deal-card-{deal.pk}")).to_be_visible()
    expect(page.locator(f"#totals-{won.pk} .board-count")).to_have_attribute("data-count", "1")
    expect(page.locator(f"#totals-{first.pk} .board-count")).to_have_attribute("data-count", "1")

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.status == "won" and deal.stage == won
    assert deal.close_reason == "最佳技术方案 Best technical fit" and deal.closed_at is not None
    assert deal.stage_changes.count() == 2

    tab.open(f"/pipeline/board/?pipeline={pipeline.pk}")
    expect(page.locator(f'.board-col[data-stage="{won.pk}"] #deal-card-{deal.pk}')).to_be_visible()
    tab.open(f"/pipeline/deals/{deal.pk}/")
    expect(page.locator("#deal-stages .stage-history li")).to_have_count(2)
    expect(page.locator("dl.props")).to_contain_text("最佳技术方案 Best technical fit")
    tab.screenshot("desktop-en-deal-detail")
    tab.open(f"/pipeline/board/?pipeline={pipeline.pk}")

    tab.switch_language("zh-hans")
    assert CJK.search(page.inner_text("main h1"))
    assert CJK.search(page.inner_text(f'.board-col[data-stage="{won.pk}"] h2'))
    tab.screenshot("desktop-zh-deals-board")

    # Cancelling the dialog puts the card back where it was.
    other = Deal.objects.get(name="Acme 备件 Spare parts")
    lost = pipeline.stages.get(kind="lost")
    drag(page, page.locator(f"#deal-card-{other.pk}"), page.locator(f'.board-col[data-stage="{lost.pk}"] .board-cards'))
    expect(dialog).to_be_visible()
    page.click("#close-dialog-cancel")
    expect(page.locator(f'.board-col[data-stage="{first.pk}"] #deal-card-{other.pk}')).to_be_visible()
    assert Deal.objects.get(pk=other.pk).status == "open"
    tab.assert_clean("cancelled move")


def test_on_a_phone_the_stage_select_moves_a_deal(new_tab, crm, pipeline):
    from crm.deals.models import Deal

    deal = _deal(crm, pipeline, "华信 数据平台 Data platform")
    rep = crm.users["rep"]
    tab = new_tab(PHONE)
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(f"/pipeline/board/?pipeline={pipeline.pk}")
    tab.assert_fits_width()
    tab.screenshot("phone-en-deals-board", full_page=False)
    # Quick edit on the card: the amount and the column's totals change in place.
    first = pipeline.stages.order_by("position").first()
    page.locator(f"#deal-card-{deal.pk} button", has_text="Quick edit").click()
    page.fill(f"#id_q{deal.pk}-amount", "300000")
    page.fill(f"#id_q{deal.pk}-next_step", "寄送合同 Send the contract")
    tab.screenshot("phone-en-deals-quick-edit", full_page=False)
    page.locator(f"#deal-card-{deal.pk} button[type=submit]").click()
    expect(page.locator(f"#deal-card-{deal.pk} .deal-card-amount")).to_contain_text("300,000.00")
    expect(page.locator(f"#totals-{first.pk}")).to_contain_text("300,000.00 CNY")
    tab.settle()
    tab.assert_clean("quick edit")
    assert str(Deal.objects.get(pk=deal.pk).amount) == "300000.00"
    lost = pipeline.stages.get(kind="lost")
    page.locator(f"#deal-card-{deal.pk} select.card-stage").select_option(str(lost.pk))
    expect(page.locator("#close-dialog")).to_be_visible()
    expect(page.locator("#close-dialog h2")).to_have_text("Why was this deal lost?")
    tab.screenshot("phone-en-deals-board-reason", full_page=False)
    page.fill("#close-reason", "预算不足 No budget")
    page.click("#close-dialog-ok")
    expect(page.locator(".board-note.success")).to_be_visible()
    tab.settle()
    tab.assert_clean("moving on a phone")
    expect(page.locator(f'.board-col[data-stage="{lost.pk}"] #deal-card-{deal.pk}')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).status == "lost"

    tab.switch_language("zh-hans")
    tab.assert_fits_width()
    assert CJK.search(page.inner_text("main h1"))
    tab.screenshot("phone-zh-deals-board", full_page=False)
    tab.open(f"/pipeline/deals/{deal.pk}/")
    tab.assert_fits_width()
    expect(page.locator("#deal-stages .stage-history li")).to_have_count(2)
    tab.screenshot("phone-zh-deal-detail")


def test_a_refused_move_puts_the_card_back_with_the_message(new_tab, crm, pipeline):
    from crm.deals.models import Deal
    from crm.deals.tests.factories import PipelineFactory

    deal = _deal(crm, pipeline, "Acme 旧版 Stale version")
    renewals = PipelineFactory(name_en="Renewals", name_zh="续约")
    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(f"/pipeline/board/?pipeline={pipeline.pk}")
    # Someone else changes the deal meanwhile: the board's copy is stale.
    Deal.objects.filter(pk=deal.pk).update(version=deal.version + 1)
    first = pipeline.stages.order_by("position").first()
    second = pipeline.stages.order_by("position")[1]
    tab.watch.expect_status(409, rf"/pipeline/board/deals/{deal.pk}/move/")
    drag(
        page, page.locator(f"#deal-card-{deal.pk}"), page.locator(f'.board-col[data-stage="{second.pk}"] .board-cards')
    )
    expect(page.locator(".board-note.error")).to_contain_text("Someone else changed this record")
    expect(page.locator(f'.board-col[data-stage="{first.pk}"] #deal-card-{deal.pk}')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage == first
    tab.settle()
    tab.assert_clean("refused move")
    # Choosing another pipeline opens its board.
    with page.expect_navigation():
        page.select_option("#board-pipeline", str(renewals.pk))
    tab.settle()
    assert f"pipeline={renewals.pk}" in page.url
    expect(page.locator(".board-col h2").first).to_contain_text("Qualification")
    expect(page.locator(f"#deal-card-{deal.pk}")).to_have_count(0)
    tab.assert_clean("switching pipelines")


def test_an_administrator_sets_up_stages_on_a_phone(new_tab, crm, pipeline):
    from crm.deals.models import Stage

    _deal(crm, pipeline, "Acme 占用 In the way")
    admin = crm.users["admin"]
    tab = new_tab(PHONE)
    page = tab.page
    tab.login(admin.username, crm.password)
    tab.open(f"/pipeline/setup/{pipeline.pk}/")
    tab.switch_language("zh-hans")
    tab.assert_fits_width()
    tab.screenshot("phone-zh-pipeline-setup")
    first = pipeline.stages.order_by("position").first()
    # A stage holding a deal is not deleted, and the page says why.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click(f'tr[data-stage="{first.pk}"] button.danger')
    tab.settle()
    tab.assert_clean("refused stage delete")
    expect(page.locator(".messages .error")).to_contain_text("资格确认")
    assert Stage.objects.filter(pk=first.pk).exists()
    # Moving a stage down saves the new order.
    with page.expect_navigation():
        page.click(f'tr[data-stage="{first.pk}"] button[value="down"]')
    tab.settle()
    assert list(pipeline.stages.order_by("position").values_list("pk", flat=True))[1] == first.pk
    tab.switch_language("en")
    tab.assert_fits_width()
    tab.screenshot("phone-en-pipeline-setup")
