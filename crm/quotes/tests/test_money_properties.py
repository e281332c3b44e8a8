"""Property tests: a quote's totals are always the sums of its lines, no cent is lost or
invented, and revising keeps the old version intact."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.contacts.tests.factories import CompanyFactory
from crm.core.money import currency_quantum
from crm.quotes import services
from crm.quotes.models import QuoteLine

pytestmark = pytest.mark.django_db

line = st.fixed_dictionaries(
    {
        "description": st.text(alphabet="abc云服务器", min_size=1, max_size=12),
        "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999"), places=3),
        "unit_price": st.decimals(min_value=Decimal("0"), max_value=Decimal("999999"), places=4),
        "discount_percent": st.decimals(min_value=Decimal("0"), max_value=Decimal("15"), places=2),
        "tax_rate": st.sampled_from([Decimal("0"), Decimal("6"), Decimal("9"), Decimal("13"), Decimal("8.25")]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(currency=st.sampled_from(["CNY", "JPY", "KWD", "USD"]), lines=st.lists(line, min_size=1, max_size=8))
def test_totals_are_sums_of_quantized_lines(users, currency, lines):
    company = CompanyFactory(owner=users.owner)
    quote = services.quote_create(
        actor=users.owner, data={"company": company, "currency": currency}, lines=[dict(x) for x in lines]
    )
    quote.refresh_from_db()
    stored = list(QuoteLine.objects.filter(quote=quote))
    quantum = currency_quantum(currency)
    for row in stored:
        for name in ("gross", "discount", "net", "tax", "total"):
            value = getattr(row, name)
            assert value == value.quantize(quantum), (name, value)
        assert row.net == row.gross - row.discount
        assert row.total == row.net + row.tax
        assert row.gross == (row.quantity * row.unit_price).quantize(quantum, rounding="ROUND_HALF_UP")
    assert quote.gross_total == sum((r.gross for r in stored), Decimal(0))
    assert quote.discount_total == sum((r.discount for r in stored), Decimal(0))
    assert quote.net_total == sum((r.net for r in stored), Decimal(0))
    assert quote.tax_total == sum((r.tax for r in stored), Decimal(0))
    assert quote.total == sum((r.total for r in stored), Decimal(0))
    assert quote.total == quote.net_total + quote.tax_total


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(currency=st.sampled_from(["CNY", "JPY", "KWD", "USD"]), lines=st.lists(line, min_size=1, max_size=5))
def test_revising_keeps_the_old_version_intact(users, currency, lines):
    company = CompanyFactory(owner=users.owner)
    quote = services.quote_create(actor=users.owner, data={"company": company, "currency": currency}, lines=lines)
    quote = services.quote_send(quote=quote, actor=users.owner)
    before = [(r.description, r.quantity, r.unit_price, r.total) for r in quote.lines.all()]
    total_before = quote.total
    new = services.quote_revise(quote=quote, actor=users.owner)
    services.quote_update(instance=new, actor=users.owner, data={}, lines=[{**lines[0], "quantity": "1"}])
    quote.refresh_from_db()
    assert quote.status == "superseded"
    assert quote.total == total_before
    assert [(r.description, r.quantity, r.unit_price, r.total) for r in quote.lines.all()] == before
    assert new.revision == 2 and new.previous_id == quote.pk and new.number == quote.number
