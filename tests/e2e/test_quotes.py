"""Quotes through a real browser: a rep makes a quote from a deal's page with a discount
above the limit, it waits for approval, the manager approves it, the PDF downloads with
its Chinese text, and the rep marks it sent. Desktop in English, 360 px in Chinese."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "quote.pdf"
    path.write_bytes(pdf)
    command = [shutil.which("pdftotext"), "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_quote_with_approval_pdf_and_send(new_tab, crm, tmp_path):
    from crm.deals.tests.factories import DealFactory
    from crm.products.tests.factories import ProductFactory
    from crm.quotes.models import Quote

    rep, manager = crm.users["rep"], crm.users["manager"]
    company = crm.companies[0]
    deal = DealFactory(name="Acme cloud rollout 云平台", owner=rep, company=company, currency="CNY")
    ProductFactory(
        sku="CLD-ECS",
        name="Elastic cloud server",
        name_zh="弹性云服务器",
        unit="月",
        list_price=Decimal("560.00"),
        owner=crm.users["admin"],
    )

    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(deal.get_absolute_url())
    expect(page.locator("#related, body")).to_contain_text("Quotes")
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('New quote')")
    tab.settle()
    assert page.input_value("#id_currency") == "CNY"
    page.select_option("#id_language", "zh-hans")
    page.fill("#id_title", "Cloud rollout phase 1 一期")
    row = page.locator("#quote-lines tbody tr.line").first
    row.locator(".product-search").fill("ECS")
    row.locator(".product-option").first.click()
    assert row.locator("[name='line-description']").input_value() == "弹性云服务器"
    assert row.locator("[name='line-unit_price']").input_value() == "560.00"
    row.locator("[name='line-quantity']").fill("12")
    row.locator("[name='line-discount_percent']").fill("20")
    page.click("#add-line")
    second = page.locator("#quote-lines tbody tr.line").nth(1)
    second.locator("[name='line-description']").fill("现场安装实施 On-site installation")
    second.locator("[name='line-unit_price']").fill("2200")
    second.locator("[name='line-tax_rate']").fill("6")
    # 12 x 560 = 6720, -20% = 5376, +13% = 698.88 -> 6074.88; 2200 + 6% = 2332.00
    expect(page.locator("#live-totals [data-total='total']")).to_have_text("8,406.88 CNY")
    tab.screenshot("quotes-editor-desktop-en")
    with page.expect_navigation():
        page.click("#quote-save")
    tab.settle()
    tab.assert_clean("save the quote")
    quote = Quote.objects.get()
    assert quote.status == "needs_approval" and quote.total == Decimal("8406.88") and quote.approver == manager
    expect(page.locator("#quote-panel")).to_contain_text("Waiting for approval by")
    expect(page.locator("#quote-send")).to_have_count(0)
    tab.screenshot("quotes-detail-needs-approval-desktop-en")

    boss = new_tab()
    boss.login(manager.username, crm.password)
    boss.open(quote.get_absolute_url())
    boss.page.fill("#approval-comment", "OK for this key account 同意")
    with boss.page.expect_navigation():
        boss.page.click("#quote-approve")
    boss.settle()
    boss.assert_clean("approve")
    quote.refresh_from_db()
    assert quote.status == "approved" and quote.decided_by == manager

    tab.open(quote.get_absolute_url())
    pdf = page.request.get(tab.url(f"/sales/quotes/{quote.pk}/pdf/?download=1"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    body = pdf.body()
    assert body.startswith(b"%PDF")
    text = _pdf_text(body, tmp_path)
    assert "弹性云服务器" in text and "报价单" in text and "8,406.88" in text
    with page.expect_navigation():
        page.click("#quote-send")
    tab.settle()
    tab.assert_clean("send")
    quote.refresh_from_db()
    assert quote.status == "sent" and quote.sent_at is not None
    tab.screenshot("quotes-detail-sent-desktop-en")

    phone = new_tab(PHONE)
    phone.login(rep.username, crm.password)
    phone.open(quote.get_absolute_url())
    phone.switch_language("zh-hans")
    expect(phone.page.locator("#quote-panel")).to_contain_text("修订（新版本）")
    phone.assert_fits_width()
    phone.screenshot("quotes-detail-phone-zh")
    phone.open(f"/sales/quotes/new/?deal={deal.pk}")
    phone.assert_fits_width()
    phone.screenshot("quotes-editor-phone-zh")
    phone.open(deal.get_absolute_url())
    phone.assert_fits_width()
    phone.screenshot("quotes-deal-phone-zh")
    # The catalog the rep quotes from (owned by the administrator, readable by everyone).
    phone.open("/catalog/products/?q=%E5%BC%B9%E6%80%A7")
    expect(phone.page.locator("#list-results")).to_contain_text("CLD-ECS")
    phone.assert_fits_width()
    phone.screenshot("products-list-phone-zh")
    tab.open("/catalog/products/")
    expect(page.locator("#list-results")).to_contain_text("560.00")
    tab.screenshot("products-list-desktop-zh")  # the rep chose Chinese on the phone
    tab.switch_language("en")
    expect(page.locator("h1")).to_have_text("Products")
    tab.screenshot("products-list-desktop-en")
