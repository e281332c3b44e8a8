"""Orders through a real browser, the whole way from a quote to money: a rep's quote
with a large discount waits for approval, the manager approves it, its PDF downloads,
the customer accepts it and it becomes an order, which the rep confirms, gives a
payment plan of two instalments (the first already overdue), records a partial
payment on, and is refused an over-payment with the amount still owed. The
receivables page and the company's key figures show what is overdue. Desktop in
English, 360 px in Chinese."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


def test_quote_to_order_to_payment(new_tab, crm):
    from django.utils import timezone

    from crm.deals.tests.factories import DealFactory
    from crm.orders.models import Order, Payment
    from crm.quotes import services as quotes
    from crm.quotes.models import Quote

    rep, manager = crm.users["rep"], crm.users["manager"]
    company = crm.companies[0]
    deal = DealFactory(name="Acme robots 机器人", owner=rep, company=company, currency="CNY")
    quote = quotes.quote_create(
        actor=rep,
        data={"title": "Robot arms 机械臂", "deal": deal, "company": company, "contact": crm.contacts[0]},
        lines=[
            {
                "description": "六轴机械臂 Six-axis arm",
                "quantity": "4",
                "unit": "台",
                "unit_price": "25000",
                "discount_percent": "20",
                "tax_rate": "13",
            },
            {"description": "安装调试 Installation", "quantity": "1", "unit_price": "8000", "tax_rate": "6"},
        ],
    )
    assert Quote.objects.get(pk=quote.pk).status == "needs_approval"

    boss = new_tab()
    boss.login(manager.username, crm.password)
    boss.open(quote.get_absolute_url())
    with boss.page.expect_navigation():
        boss.page.click("#quote-approve")
    boss.settle()
    boss.assert_clean("approve")

    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(quote.get_absolute_url())
    pdf = page.request.get(tab.url(f"/sales/quotes/{quote.pk}/pdf/?download=1"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    with page.expect_navigation():
        page.click("form[action$='/accept/'] button")
    tab.settle()
    tab.assert_clean("accept the quote")
    order = Order.objects.get(quote=quote)
    assert page.url.endswith(order.get_absolute_url())
    # 4 x 25000 = 100000, -20% = 80000, +13% = 90400; 8000 + 6% = 8480
    assert order.total == Decimal("98880.00") and order.status == "draft" and order.deal == deal
    expect(page.locator("#order-total")).to_have_text("98,880.00 CNY")
    expect(page.locator("#lines")).to_contain_text("六轴机械臂 Six-axis arm")
    tab.screenshot("orders-draft-desktop-en")
    # The draft's lines editor: the quote's lines, a product picker per row.
    tab.open(f"/orders/orders/{order.pk}/lines/")
    assert page.locator("input[name='form-0-description']").input_value() == "六轴机械臂 Six-axis arm"
    page.locator("input[name='form-1-quantity']").fill("2")
    with page.expect_navigation():
        page.click("button:has-text('Save lines')")
    tab.settle()
    tab.assert_clean("save the lines")
    expect(page.locator("#order-total")).to_have_text("107,360.00 CNY")
    tab.open(f"/orders/orders/{order.pk}/lines/")
    page.locator("input[name='form-1-quantity']").fill("1")
    with page.expect_navigation():
        page.click("button:has-text('Save lines')")
    tab.settle()
    expect(page.locator("#order-total")).to_have_text("98,880.00 CNY")

    with page.expect_navigation():
        page.click("#order-status button:has-text('Confirm')")
    tab.settle()
    tab.assert_clean("confirm")
    expect(page.locator("#order-status")).to_contain_text("Confirmed")
    expect(page.locator("#plan")).to_contain_text("Full amount")

    with page.expect_navigation():
        page.click("a:has-text('Change the payment plan')")
    tab.settle()
    today = timezone.localdate()
    rows = page.locator("table.line-grid tbody tr")
    rows.nth(0).locator("input[name$='-label']").fill("首付 Deposit")
    rows.nth(0).locator("input[name$='-due_date']").fill((today - datetime.timedelta(days=40)).isoformat())
    rows.nth(0).locator("input[name$='-amount']").fill("30000")
    rows.nth(1).locator("input[name$='-label']").fill("尾款 Balance")
    rows.nth(1).locator("input[name$='-due_date']").fill((today + datetime.timedelta(days=30)).isoformat())
    rows.nth(1).locator("input[name$='-amount']").fill("68880")
    tab.screenshot("orders-plan-desktop-en")
    with page.expect_navigation():
        page.click("button:has-text('Save plan')")
    tab.settle()
    tab.assert_clean("save the plan")
    assert list(order.instalments.order_by("due_date").values_list("amount", flat=True)) == [
        Decimal("30000"),
        Decimal("68880"),
    ]

    form = page.locator("#payment-form")
    form.locator("#id_amount").fill("10000")
    form.locator("#id_method").select_option("alipay")
    form.locator("#id_reference").fill("ALI-2026-0001")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    tab.settle()
    tab.assert_clean("record a payment")
    expect(page.locator("#order-outstanding")).to_have_text("88,880.00 CNY")
    expect(page.locator("#order-overdue")).to_have_text("20,000.00 CNY")

    tab.watch.expect_status(400, r"/orders/orders/\d+/payments/$")
    form = page.locator("#payment-form")
    form.locator("#id_amount").fill("90000")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    tab.settle()
    expect(page.locator("#payment-form")).to_contain_text("only 88,880.00 CNY is still owed on this order")
    assert Payment.objects.filter(order=order).count() == 1
    tab.screenshot("orders-detail-desktop-en")

    tab.open("/orders/receivables/")
    expect(page.locator("#overdue")).to_contain_text(order.number)
    expect(page.locator("#aging")).to_contain_text("20,000.00 CNY")
    tab.screenshot("orders-receivables-desktop-en")
    tab.open(company.get_absolute_url())
    expect(page.locator(".cards")).to_contain_text("88,880.00 CNY")
    expect(page.locator("#history")).to_contain_text(f"Payment of 10,000.00 CNY on order {order.number}")

    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.open(order.get_absolute_url())
    phone.switch_language("zh-hans")
    expect(page.locator("#plan")).to_contain_text("付款计划")
    expect(page.locator("#order-status")).to_contain_text("标记已发货")
    phone.assert_fits_width()
    phone.screenshot("orders-detail-phone-zh")
    phone.open("/orders/receivables/")
    expect(page.locator("#aging")).to_contain_text("31–60 天")
    phone.assert_fits_width()
    phone.screenshot("orders-receivables-phone-zh")
    phone.open("/orders/orders/")
    phone.assert_fits_width()
    phone.screenshot("orders-list-phone-zh")
    phone.open(f"/orders/orders/new/?deal={deal.pk}&company={company.pk}&currency=CNY&title=Spare+parts")
    company_picker = page.locator("#id_company").locator("xpath=..").locator("[data-picker-text]")
    expect(company_picker).to_have_value("Acme Robotics")
    assert page.input_value("#id_currency") == "CNY"
    phone.assert_fits_width()
    phone.screenshot("orders-new-phone-zh")
    phone.open(company.get_absolute_url())
    expect(page.locator(".cards")).to_contain_text("逾期金额")
    phone.assert_fits_width()
    phone.screenshot("orders-company-phone-zh")
