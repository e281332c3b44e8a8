"""Properties that hold whatever the input: totals are the sums of their lines in every
currency; payments never exceed what is owed whatever the sequence of attempts; the
aging buckets add up to the overdue total."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from crm.contacts.tests.factories import CompanyFactory
from crm.core.errors import ValidationFailed
from crm.core.money import money_round
from crm.core.testing.users import make_standing_users
from crm.orders import selectors, services
from crm.orders.models import Instalment, Order, OrderStatus

CURRENCIES = ["CNY", "JPY", "KWD", "USD"]
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("9999"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=4)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
line = st.fixed_dictionaries(
    {
        "description": st.just("x"),
        "quantity": quantities,
        "unit_price": prices,
        "discount_percent": percents,
        "tax_rate": percents,
    }
)
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.django_db
class TestOrderProperties(TestCase):
    def setUp(self):
        self.users = make_standing_users()
        self.company = CompanyFactory(owner=self.users.owner)

    @SLOW
    @given(currency=st.sampled_from(CURRENCIES), lines=st.lists(line, min_size=1, max_size=6))
    def test_totals_are_the_sums_of_the_lines(self, currency, lines):
        order = services.order_create(
            actor=None, data={"title": "P", "company": self.company, "currency": currency}, lines=lines
        )
        stored = list(order.lines.all())
        for name, field in (
            ("gross", "gross_total"),
            ("discount", "discount_total"),
            ("net", "net_total"),
            ("tax", "tax_total"),
        ):
            assert getattr(order, field) == sum(getattr(s, name) for s in stored)
        assert order.total == sum(s.line_total for s in stored) == order.net_total + order.tax_total
        for s in stored:
            assert s.line_total == money_round(s.line_total, currency)
            assert s.net == s.gross - s.discount

    @SLOW
    @given(
        currency=st.sampled_from(CURRENCIES),
        attempts=st.lists(
            st.tuples(
                st.sampled_from(["payment", "payment", "refund", "delete"]),
                st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20000"), places=3),
                st.sampled_from([None, 0, 1]),
            ),
            min_size=1,
            max_size=12,
        ),
    )
    def test_payments_never_exceed_what_is_owed(self, currency, attempts):
        order = services.order_create(
            actor=None,
            data={"title": "P", "company": self.company, "currency": currency},
            lines=[{"description": "x", "quantity": "1", "unit_price": "10000"}],
        )
        order = services.order_transition(order=order, actor=None, to_status=OrderStatus.CONFIRMED)
        today = datetime.date.today()
        services.order_set_plan(
            order=order,
            actor=None,
            instalments=[
                {"due_date": today - datetime.timedelta(days=10), "amount": "4000"},
                {"due_date": today + datetime.timedelta(days=10), "amount": "6000"},
            ],
        )
        instalments = list(Instalment.objects.filter(order=order).order_by("due_date"))
        for kind, amount, which in attempts:
            amount = money_round(amount, currency)
            target = instalments[which].pk if which is not None else None
            try:
                if kind == "delete":
                    payment = order.payments.order_by("-pk").first()
                    if payment is not None:
                        services.payment_delete(payment=payment, actor=None)
                else:
                    services.payment_record(order=order, actor=None, amount=amount, kind=kind, instalment=target)
            except (ValidationFailed, services.UnprocessableError):
                pass
            current = Order.objects.get(pk=order.pk)
            assert Decimal("0") <= current.paid_total <= current.total
            for instalment in Instalment.objects.filter(order=order):
                assert Decimal("0") <= instalment.paid_amount <= instalment.amount
            assert sum(i.paid_amount for i in Instalment.objects.filter(order=order)) == current.paid_total

    @SLOW
    @given(
        parts=st.lists(st.tuples(st.integers(-200, 30), st.integers(1, 500000)), min_size=1, max_size=8),
        paid=st.integers(0, 100),
    )
    def test_aging_buckets_add_up_to_the_overdue_total(self, parts, paid):
        total = sum(Decimal(a) / 100 for _d, a in parts)
        order = services.order_create(
            actor=None,
            data={"title": "P", "company": self.company},
            lines=[{"description": "x", "quantity": "1", "unit_price": str(total)}],
        )
        order = services.order_transition(order=order, actor=None, to_status=OrderStatus.CONFIRMED)
        today = datetime.date.today()
        services.order_set_plan(
            order=order,
            actor=None,
            instalments=[
                {"due_date": today + datetime.timedelta(days=d), "amount": Decimal(a) / 100} for d, a in parts
            ],
        )
        amount = money_round(total * paid / 100, "CNY")
        if amount > 0:
            services.payment_record(order=order, actor=None, amount=amount)
        rows = [r for r in selectors.aging(self.users.admin, today=today) if r["currency"] == "CNY"]
        expected = sum(
            (i.amount - i.paid_amount for i in Instalment.objects.filter(order=order, due_date__lt=today)), Decimal("0")
        )
        got = sum((r["overdue"] for r in rows), Decimal("0"))
        buckets = sum((r["d0_30"] + r["d31_60"] + r["d61_90"] + r["d90_plus"] for r in rows), Decimal("0"))
        assert got == buckets == expected
        Order.objects.filter(pk=order.pk).delete()
