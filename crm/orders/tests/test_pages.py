"""The order pages: detail with lines, plan and payments; the lines and plan editors;
status buttons; payments with their refusals; the receivables page and its CSV."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.audit.models import AuditEntry
from crm.orders.models import Order, OrderStatus, Payment

from .factories import make_order, plan

pytestmark = pytest.mark.django_db


def test_detail_page_shows_lines_totals_and_status_buttons(users, client_for):
    order = make_order(owner=users.owner)
    html = client_for(users.owner).get(order.get_absolute_url()).content.decode()
    assert "云服务器 Cloud server" in html and "12,063.18 CNY" in html
    assert reverse("orders:order_lines", args=[order.pk]) in html
    assert 'value="confirmed"' in html and 'value="cancelled"' in html
    teammate = client_for(users.teammate).get(order.get_absolute_url()).content.decode()
    assert 'value="confirmed"' not in teammate and "Edit lines" not in teammate


def test_status_buttons_move_the_order_and_refuse_other_moves(users, client_for):
    order = make_order(owner=users.owner)
    client = client_for(users.owner)
    url = reverse("orders:order_transition", args=[order.pk])
    refused = client.post(url, {"to_status": "shipped", "version": order.version})
    assert refused.status_code == 422
    assert "An order that is draft cannot become shipped" in refused.content.decode()
    stale = client.post(url, {"to_status": "confirmed", "version": order.version + 5})
    assert stale.status_code == 409
    moved = client.post(url, {"to_status": "confirmed", "version": order.version})
    assert moved.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert client_for(users.teammate).post(url, {"to_status": "shipped"}).status_code == 403
    assert client_for(users.outsider).post(url, {"to_status": "shipped"}).status_code == 404


def test_the_lines_page_saves_a_drafts_lines_and_shows_errors_in_place(users, client_for):
    order = make_order(owner=users.owner, lines=[])
    client = client_for(users.owner)
    url = reverse("orders:order_lines", args=[order.pk])
    assert client.get(url).status_code == 200
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "version": order.version,
        "form-0-description": "键盘 Keyboard",
        "form-0-quantity": "3",
        "form-0-unit_price": "99.5",
        "form-0-tax_rate": "13",
        "form-1-description": "Broken",
        "form-1-quantity": "-1",
        "form-1-unit_price": "1",
    }
    bad = client.post(url, form)
    assert bad.status_code == 400 and "The quantity must be more than zero." in bad.content.decode()
    assert not order.lines.exists()
    form["form-1-quantity"] = "1"
    assert client.post(url, form).status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("337.31") + Decimal("1.00") and order.lines.count() == 2


def test_payment_form_records_and_refuses_over_payment_with_the_outstanding_amount(users, client_for):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    client = client_for(users.owner)
    url = reverse("orders:payment_add", args=[order.pk])
    today = timezone.localdate().isoformat()
    ok = client.post(url, {"kind": "payment", "amount": "10000", "paid_at": today, "method": "wechat_pay"})
    assert ok.status_code == 302
    over = client.post(url, {"kind": "payment", "amount": "2063.19", "paid_at": today, "method": "cash"})
    html = over.content.decode()
    assert over.status_code == 400
    assert "only 2,063.18 CNY is still owed on this order" in html
    assert Payment.objects.filter(order=order).count() == 1
    forged = client.post(
        url, {"kind": "payment", "amount": "1", "paid_at": today, "method": "cash", "instalment": "999999"}
    )
    assert forged.status_code == 400
    payment = Payment.objects.get(order=order)
    delete = client.post(reverse("orders:payment_delete", args=[order.pk, payment.pk]))
    assert delete.status_code == 302 and not Payment.objects.filter(order=order).exists()
    assert client.post(reverse("orders:payment_delete", args=[order.pk, 987654])).status_code == 404


def test_the_plan_page_sets_instalments_that_add_up(users, client_for):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    client = client_for(users.owner)
    url = reverse("orders:order_plan", args=[order.pk])
    assert "12,063.18 CNY" in client.get(url).content.decode()
    due = timezone.localdate() + datetime.timedelta(days=10)
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-label": "首付 Deposit",
        "form-0-due_date": due.isoformat(),
        "form-0-amount": "6000",
        "form-1-label": "尾款 Balance",
        "form-1-due_date": (due + datetime.timedelta(days=30)).isoformat(),
        "form-1-amount": "6000",
    }
    bad = client.post(url, form)
    assert bad.status_code == 400 and "they must add up to the order total" in bad.content.decode()
    form["form-1-amount"] = "6063.18"
    assert client.post(url, form).status_code == 302
    assert order.instalments.count() == 2


def test_receivables_page_and_csv_follow_visibility(users, client_for):
    mine = plan(make_order(owner=users.owner, status=OrderStatus.CONFIRMED), (-45, "12063.18"))
    foreign = plan(make_order(owner=users.outsider, status=OrderStatus.CONFIRMED), (-5, "12063.18"))
    mine.company.name = "=cmd|' /C calc'!A0"
    mine.company.save()
    html = client_for(users.manager).get(reverse("orders:receivables")).content.decode()
    assert mine.number in html and foreign.number not in html
    assert "12,063.18 CNY" in html
    assert client_for(users.manager).get(reverse("orders:receivables"), {"format": "csv"}).status_code == 200
    response = client_for(users.manager).get(reverse("orders:receivables"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert mine.number in text and foreign.number not in text
    assert "'=cmd" in text and ",45," in text
    assert AuditEntry.objects.filter(action="export", actor=users.manager).exists()
    assert client_for(users.owner).get(reverse("orders:receivables"), {"format": "csv"}).status_code == 403
    narrowed = client_for(users.admin).get(reverse("orders:receivables"), {"company": foreign.company_id})
    assert foreign.number in narrowed.content.decode() and mine.number not in narrowed.content.decode()
    outsider = client_for(users.outsider).get(reverse("orders:receivables")).content.decode()
    assert foreign.number in outsider and mine.number not in outsider


def test_new_order_form_prefills_from_the_query_string(users, client_for):
    from crm.deals.tests.factories import DealFactory

    deal = DealFactory(owner=users.owner, currency="USD")
    html = (
        client_for(users.owner).get(reverse("orders:order_add"), {"deal": deal.pk, "currency": "USD"}).content.decode()
    )
    assert 'value="USD"' in html and str(deal) in html


def test_chinese_pages_are_translated(users, client_for):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    client = client_for(users.owner)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(order.get_absolute_url()).content.decode()
    assert "付款计划" in html and "记录付款" in html
    assert "应收账款" in client.get(reverse("orders:receivables")).content.decode()
