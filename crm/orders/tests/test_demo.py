"""The demo orders: every status, consistent money, gap-free numbers, some overdue."""

from decimal import Decimal

import pytest
from django.db.models import F, Sum

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.orders import selectors
from crm.orders.demo import seed_orders
from crm.orders.models import Instalment, Order, OrderLine, OrderSequence, OrderStatus, Payment
from crm.orders.tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_demo_orders_are_consistent(users):
    for _ in range(5):
        company = CompanyFactory(owner=users.owner)
        ContactFactory(owner=users.owner, company=company)
    ContactFactory(owner=users.owner, company=None)
    owners = [users.owner.pk, users.teammate.pk]
    assert seed_orders(total=400, owners=owners) == 400
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert Order.objects.filter(company__isnull=True, contact__isnull=False).exists()
    for order in Order.objects.all():
        assert order.total == sum(line.line_total for line in order.lines.all())
    billed = Order.objects.filter(status__in=selectors.BILLED_STATUSES)
    for order in billed:
        plan = order.instalments.aggregate(s=Sum("amount"), p=Sum("paid_amount"))
        paid = order.payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert plan["s"] == order.total and plan["p"] == paid == order.paid_total
    assert not Instalment.objects.filter(paid_amount__gt=F("amount")).exists()
    assert OrderLine.objects.count() >= 400 and Payment.objects.exists()
    assert selectors.aging(users.admin), "some instalments are overdue"
    # Gap-free numbers per year, continued by the next order created.
    for sequence in OrderSequence.objects.all():
        stored = Order.objects.filter(order_date__year=sequence.year).values_list("number", flat=True)
        numbers = sorted(int(n.rsplit("-", 1)[1]) for n in stored)
        assert numbers == list(range(1, sequence.last + 1))
    latest = OrderSequence.objects.order_by("-year").first()
    assert latest is not None
    made = make_order(owner=users.owner)
    year = made.order_date.year
    assert made.number == f"SO-{year}-{OrderSequence.objects.get(year=year).last:06d}"
