"""The order rules: numbering, lines and totals, the status flow, the payment plan and
payments, whichever path calls them."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import ConflictError, PermissionDeniedError, UnprocessableError, ValidationFailed
from crm.orders import services
from crm.orders.models import Instalment, Order, OrderSequence, OrderStatus, OrderStatusChange, Payment

from .factories import LINES, make_order, plan

pytestmark = pytest.mark.django_db


def test_numbers_are_consecutive_per_year(users):
    year = timezone.localdate().year
    first = make_order(owner=users.owner)
    second = make_order(owner=users.owner)
    assert first.number == f"SO-{year}-000001" and second.number == f"SO-{year}-000002"
    other = make_order(owner=users.owner, order_date=datetime.date(2031, 1, 5))
    assert other.number == "SO-2031-000001"
    assert OrderSequence.objects.get(year=year).last == 2


def test_a_creation_that_fails_after_numbering_leaves_no_gap(users):
    year = timezone.localdate().year
    make_order(owner=users.owner)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_order(owner=users.owner)
        raise RuntimeError("the rest of the creating transaction failed")
    with pytest.raises(ValidationFailed):  # invalid after the number was taken
        services.order_create(
            actor=None, data={"title": "x" * 300, "company": CompanyFactory(owner=users.owner)}, lines=[]
        )
    assert make_order(owner=users.owner).number == f"SO-{year}-000002"
    assert list(Order.objects.values_list("number", flat=True).order_by("number")) == [
        f"SO-{year}-000001",
        f"SO-{year}-000002",
    ]


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        services.order_number_next(year=2026)


def test_totals_are_the_sums_of_the_rounded_lines(users):
    order = make_order(owner=users.owner)
    lines = list(order.lines.order_by("position"))
    assert [line.line_total for line in lines] == [Decimal("11299.98"), Decimal("763.20")]
    assert order.gross_total == Decimal("10799.98")
    assert order.discount_total == Decimal("80.00")
    assert order.tax_total == Decimal("1343.20")
    assert order.total == Decimal("12063.18") == sum(line.line_total for line in lines)
    yen = make_order(
        owner=users.owner,
        currency="JPY",
        lines=[{"description": "x", "quantity": "3", "unit_price": "333.5", "tax_rate": "10"}],
    )
    assert yen.total == Decimal("1101")  # 1000.5 -> 1001, tax 100.1 -> 100


def test_an_order_needs_a_customer_and_takes_the_contacts_company(users):
    with pytest.raises(ValidationFailed) as exc:
        services.order_create(actor=users.owner, data={"title": "Nobody"})
    assert "company" in exc.value.fields
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company)
    order = services.order_create(actor=users.owner, data={"title": "Via contact", "contact": contact})
    assert order.company == company and order.owner == users.owner


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": "0", "unit_price": "1"}, "quantity"),
        ({"description": "x", "quantity": "abc", "unit_price": "1"}, "quantity"),
        ({"description": "x", "quantity": "1", "unit_price": "-1"}, "unit_price"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "discount_percent": "101"}, "discount_percent"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "1.234"}, "tax_rate"),
        ({"quantity": "1", "unit_price": "1"}, "description"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "product": 987654}, "product"),
        ({"description": "x", "quantity": "1", "unit_price": "1", "total": "5"}, "total"),
    ],
)
def test_bad_lines_are_refused_field_by_field_and_nothing_is_saved(users, line, field):
    with pytest.raises(ValidationFailed) as exc:
        services.order_create(
            actor=users.owner, data={"title": "Bad", "company": CompanyFactory(owner=users.owner)}, lines=[line]
        )
    assert f"lines.0.{field}" in exc.value.fields
    assert not Order.objects.exists()


def test_lines_change_only_in_draft_and_the_change_is_audited(users):
    order = make_order(owner=users.owner)
    order = services.order_set_lines(
        order=order, actor=users.owner, lines=[{"description": "One", "quantity": 1, "unit_price": "10"}]
    )
    assert order.total == Decimal("10.00") and order.lines.count() == 1 and order.version == 2
    lines_changes = [
        c
        for e in AuditEntry.objects.filter(object_id=str(order.pk)).order_by("pk")
        for c in e.changes
        if c["field"] == "lines"
    ]
    assert lines_changes[-1]["new"] == ["1 × One @ 10"] and len(lines_changes[-1]["old"]) == 2
    with pytest.raises(ConflictError):
        services.order_set_lines(order=order, actor=users.owner, lines=LINES, expected_version=1)
    confirmed = services.order_transition(order=order, actor=users.owner, to_status=OrderStatus.CONFIRMED)
    with pytest.raises(UnprocessableError):
        services.order_set_lines(order=confirmed, actor=users.owner, lines=LINES)
    with pytest.raises(ValidationFailed) as exc:
        services.order_update(instance=confirmed, actor=users.owner, data={"currency": "USD"})
    assert "currency" in exc.value.fields
    services.order_update(instance=confirmed, actor=users.owner, data={"notes": "送货前电话联系"})


def test_changing_a_drafts_currency_reprices_its_lines(users):
    order = make_order(owner=users.owner, lines=[{"description": "x", "quantity": "1", "unit_price": "10.5"}])
    order = services.order_update(instance=order, actor=users.owner, data={"currency": "JPY"})
    assert order.total == Decimal("11") and order.lines.get().line_total == Decimal("11")


def test_the_status_flow_allows_only_its_moves(users):
    order = make_order(owner=users.owner)
    for forbidden in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.DRAFT):
        with pytest.raises(UnprocessableError):
            services.order_transition(order=order, actor=users.owner, to_status=forbidden)
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        order = services.order_transition(order=order, actor=users.owner, to_status=step)
    with pytest.raises(UnprocessableError) as exc:
        services.order_transition(order=order, actor=users.owner, to_status=OrderStatus.CANCELLED)
    assert "cannot become" in str(exc.value.message)
    changes = list(OrderStatusChange.objects.filter(order=order).values_list("from_status", "to_status"))
    assert changes == [
        ("draft", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    audited = [
        c
        for e in AuditEntry.objects.filter(object_id=str(order.pk), action="update")
        for c in e.changes
        if c["field"] == "status"
    ]
    assert len(audited) == 4
    with pytest.raises(ValidationFailed):
        services.order_transition(order=order, actor=users.owner, to_status="lost")


def test_confirming_needs_lines_and_makes_the_default_plan(users, settings):
    settings.ORDER_PAYMENT_DAYS = 45
    empty = make_order(owner=users.owner, lines=[])
    with pytest.raises(UnprocessableError):
        services.order_transition(order=empty, actor=users.owner, to_status=OrderStatus.CONFIRMED)
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    instalment = order.instalments.get()
    assert instalment.amount == order.total
    assert instalment.due_date == timezone.localdate() + datetime.timedelta(days=45)


def test_writes_follow_permissions_and_scope(users):
    order = make_order(owner=users.owner)
    with pytest.raises(PermissionDeniedError):
        services.order_transition(order=order, actor=users.teammate, to_status=OrderStatus.CONFIRMED)
    confirmed = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    with pytest.raises(PermissionDeniedError):
        services.payment_record(order=confirmed, actor=users.outsider, amount="1")


def test_the_plan_must_add_up_to_the_total(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    with pytest.raises(ValidationFailed) as exc:
        plan(order, (10, "100"), (40, "100"))
    assert "must add up to the order total, 12,063.18 CNY" in exc.value.fields["instalments"][0]
    with pytest.raises(ValidationFailed) as exc:
        plan(order, (10, "6000.001"), (40, "6063.179"))
    assert "instalments.0.amount" in exc.value.fields
    order = plan(order, (10, "6000"), (40, "6063.18"))
    assert list(order.instalments.values_list("amount", flat=True)) == [Decimal("6000"), Decimal("6063.18")]
    draft = make_order(owner=users.owner)
    with pytest.raises(UnprocessableError):
        plan(draft, (10, "12063.18"))


def test_payments_refuse_more_than_is_outstanding(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    order = plan(order, (-40, "5000"), (20, "7063.18"))
    first, second = order.instalments.order_by("due_date")
    services.payment_record(order=order, actor=users.owner, amount="3000")
    first.refresh_from_db()
    assert first.paid_amount == Decimal("3000")
    with pytest.raises(ValidationFailed) as exc:
        services.payment_record(order=order, actor=users.owner, amount="9063.19")
    assert "only 9,063.18 CNY is still owed" in exc.value.fields["amount"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.payment_record(order=order, actor=users.owner, amount="2000.01", instalment=first.pk)
    assert "only 2,000.00 CNY" in exc.value.fields["amount"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.payment_record(order=order, actor=users.owner, amount="0.001")
    assert "amount" in exc.value.fields
    services.payment_record(order=order, actor=users.owner, amount="7063.18", instalment=second.pk, method="alipay")
    services.payment_record(order=order, actor=users.owner, amount="2000")
    order.refresh_from_db()
    assert order.paid_total == order.total and order.outstanding == 0
    with pytest.raises(ValidationFailed):
        services.payment_record(order=order, actor=users.owner, amount="0.01")
    assert AuditEntry.objects.filter(action="create", content_type__model="payment").count() == 3


def test_unnamed_payments_pay_the_earliest_due_first(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    order = plan(order, (30, "63.18"), (-10, "2000"), (60, "10000"))
    services.payment_record(order=order, actor=users.owner, amount="2050")
    paid = dict(order.instalments.values_list("amount", "paid_amount"))
    assert paid == {Decimal("2000"): Decimal("2000"), Decimal("63.18"): Decimal("50"), Decimal("10000"): Decimal("0")}


def test_cancelling_with_payments_needs_a_refund(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    payment = services.payment_record(order=order, actor=users.owner, amount="100")
    with pytest.raises(UnprocessableError) as exc:
        services.order_transition(order=order, actor=users.owner, to_status=OrderStatus.CANCELLED)
    assert "100.00 CNY has been paid" in str(exc.value.message)
    with pytest.raises(ValidationFailed):
        services.payment_record(order=order, actor=users.owner, amount="100.01", kind="refund")
    refund = services.payment_record(order=order, actor=users.owner, amount="100", kind="refund")
    with pytest.raises(UnprocessableError):  # the refund refers to it
        services.payment_delete(payment=payment, actor=users.owner)
    order = services.order_transition(order=order, actor=users.owner, to_status=OrderStatus.CANCELLED)
    assert order.status == OrderStatus.CANCELLED
    with pytest.raises(UnprocessableError):
        services.payment_record(order=order, actor=users.owner, amount="1")
    assert refund.pk


def test_deleting_a_payment_is_audited_and_reallocates(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    payment = services.payment_record(order=order, actor=users.owner, amount="500", reference="=HYPERLINK()")
    services.payment_delete(payment=payment, actor=users.owner)
    order.refresh_from_db()
    assert order.paid_total == 0 and not Payment.objects.exists()
    assert Instalment.objects.get(order=order).paid_amount == 0
    assert AuditEntry.objects.filter(action="delete", content_type__model="payment").exists()


def test_a_plan_cannot_drop_an_instalment_with_payments(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    instalment = order.instalments.get()
    services.payment_record(order=order, actor=users.owner, amount="10", instalment=instalment.pk)
    with pytest.raises(ValidationFailed):
        plan(order, (10, "6000"), (40, "6063.18"))
    kept = services.order_set_plan(
        order=order,
        actor=users.owner,
        instalments=[
            {"id": instalment.pk, "due_date": instalment.due_date, "amount": "6000"},
            {"due_date": instalment.due_date + datetime.timedelta(days=30), "amount": "6063.18"},
        ],
    )
    assert kept.instalments.get(pk=instalment.pk).paid_amount == Decimal("10")


def test_an_order_with_payments_cannot_be_deleted(users):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    services.payment_record(order=order, actor=users.owner, amount="10")
    order.refresh_from_db()
    with pytest.raises(UnprocessableError):
        services.order_delete(instance=order, actor=users.owner)


def test_orders_cannot_be_merged(users):
    from crm.core.merge import records_merge

    first = make_order(owner=users.owner)
    second = make_order(owner=users.owner)
    with pytest.raises(UnprocessableError):
        records_merge(survivor=first, others=[second], actor=users.owner)
    assert Order.objects.filter(pk=second.pk).exists() and second.lines.count() == 2 and first.lines.count() == 2
