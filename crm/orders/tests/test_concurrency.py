"""Order numbers under concurrent creation (PostgreSQL: real row locks between
connections; SQLite runs one writer at a time with IMMEDIATE transactions)."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crm.contacts.tests.factories import CompanyFactory
from crm.orders import services
from crm.orders.models import Order


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_consecutive_numbers_on_postgresql(users):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections are a PostgreSQL matter")
    company = CompanyFactory(owner=users.owner)
    workers = 12
    barrier = threading.Barrier(workers)
    numbers, errors = [], []

    def create(i):
        try:
            barrier.wait(timeout=10)
            if i % 4 == 3:
                # A creation that fails after it was numbered: its number goes back.
                with transaction.atomic():
                    services.order_create(actor=None, data={"title": f"Fails {i}", "company": company}, lines=[])
                    raise RuntimeError("failed after numbering")
            order = services.order_create(
                actor=None,
                data={"title": f"Rush {i}", "company": company},
                lines=[{"description": "x", "quantity": 1, "unit_price": "1"}],
            )
            numbers.append(order.number)
        except RuntimeError:
            pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    year = timezone.localdate().year
    assert sorted(numbers) == [f"SO-{year}-{n:06d}" for n in range(1, 10)]
    assert Order.objects.count() == 9
