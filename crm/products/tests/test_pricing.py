"""price_for: price lists by segment and tier, priority, validity, volume discounts."""

import datetime
from decimal import Decimal

import pytest

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.products.models import PriceList, PriceListItem, VolumeDiscount
from crm.products.pricing import price_for

from .factories import ProductFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def _list(name, *, product, price, **kw):
    pl = PriceList.objects.create(name=name, currency=kw.pop("currency", "CNY"), **kw)
    PriceListItem.objects.create(price_list=pl, product=product, unit_price=Decimal(price))
    return pl


def test_list_price_without_price_lists():
    product = ProductFactory(list_price=Decimal("100.00"))
    price = price_for(product=product, customer=None, quantity=1, on_date=TODAY, currency="CNY")
    assert price.unit_price == Decimal("100.00")
    assert price.price_source == "list_price"
    assert price.discount_percent == 0


def test_other_currency_without_list_has_no_price():
    product = ProductFactory(currency="CNY")
    price = price_for(product=product, customer=None, quantity=1, on_date=TODAY, currency="USD")
    assert price.unit_price is None and price.price_source == "none"


def test_tier_list_applies_to_its_tier_and_a_contact_inherits_the_company_tier():
    product = ProductFactory()
    company = CompanyFactory(tier="A")
    other = CompanyFactory(tier="C")
    contact = ContactFactory(company=company, tier="")
    pl = _list("Tier A", product=product, price="80.00", tier="A")
    assert price_for(product=product, customer=company, on_date=TODAY, currency="CNY").unit_price == Decimal("80.00")
    assert price_for(product=product, customer=contact, on_date=TODAY, currency="CNY").price_list_id == pl.pk
    assert price_for(product=product, customer=other, on_date=TODAY, currency="CNY").price_source == "list_price"


def test_lower_priority_number_wins_and_validity_is_respected():
    product = ProductFactory()
    company = CompanyFactory(tier="B")
    _list("General", product=product, price="95.00", priority=200)
    _list("Tier B", product=product, price="90.00", tier="B", priority=100)
    _list(
        "Expired promo",
        product=product,
        price="50.00",
        tier="B",
        priority=1,
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    _list("Inactive", product=product, price="10.00", priority=1, active=False)
    price = price_for(product=product, customer=company, on_date=TODAY, currency="CNY")
    assert price.unit_price == Decimal("90.00")
    assert "Tier B" in price.price_source_label


def test_segment_list_applies_to_segment_members(users):
    from crm.core.models import SavedFilter

    product = ProductFactory()
    member = CompanyFactory(owner=users.admin, name="华信科技 segment member")
    outsider = CompanyFactory(owner=users.admin, name="Another company")
    segment = SavedFilter.objects.create(user=users.admin, list_name="contacts.company", name="Key", query="q=segment")
    _list("Key accounts", product=product, price="70.00", segment=segment, priority=100)
    assert price_for(product=product, customer=member, on_date=TODAY, currency="CNY").unit_price == Decimal("70.00")
    assert price_for(product=product, customer=outsider, on_date=TODAY, currency="CNY").unit_price == Decimal("100.00")


def test_volume_discount_product_specific_beats_general():
    product = ProductFactory()
    VolumeDiscount.objects.create(product=None, min_quantity=Decimal("10"), discount_percent=Decimal("5"))
    VolumeDiscount.objects.create(product=product, min_quantity=Decimal("10"), discount_percent=Decimal("8"))
    VolumeDiscount.objects.create(product=product, min_quantity=Decimal("100"), discount_percent=Decimal("12"))
    assert price_for(product=product, quantity=5, on_date=TODAY).discount_percent == 0
    assert price_for(product=product, quantity=10, on_date=TODAY).discount_percent == Decimal("8")
    assert price_for(product=product, quantity=150, on_date=TODAY).discount_percent == Decimal("12")
    other = ProductFactory()
    assert price_for(product=other, quantity=20, on_date=TODAY).discount_percent == Decimal("5")


def test_product_search_by_sku_and_both_names(users, api_for):
    ProductFactory(sku="HW-ECS-1", name="Elastic server", name_zh="弹性云服务器", owner=users.admin)
    api = api_for(users.admin)
    for q in ("hw-ecs", "Elastic", "弹性云", "tanxing"):
        rows = api.get("/api/v1/products/", {"q": q}).json()["results"]
        assert [r["sku"] for r in rows] == ["HW-ECS-1"], q


def test_price_endpoint(users, api_for):
    product = ProductFactory(owner=users.admin)
    rows = api_for(users.owner).get(f"/api/v1/products/{product.pk}/price/", {"quantity": "2"}).json()
    assert rows["unit_price"] == "100.0000" and rows["price_source"] == "list_price"
