"""The demo catalog: bilingual, searchable, priced by tier and promotion, idempotent."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.contacts.tests.factories import CompanyFactory
from crm.products.demo import CATALOG, seed_products
from crm.products.models import PriceList, Product, VolumeDiscount
from crm.products.pricing import price_for

pytestmark = pytest.mark.django_db


def test_demo_catalog(users):
    assert seed_products(owner_id=users.admin.pk) == len(CATALOG) >= 40
    assert seed_products(owner_id=users.admin.pk) == 0  # a second run adds nothing
    assert Product.objects.count() == len(CATALOG)
    assert not Product.objects.filter(name_zh="").exists()
    assert not Product.objects.filter(search_text="").exists()
    assert set(Product.objects.values_list("kind", flat=True)) == {"product", "service"}
    assert PriceList.objects.count() == 2 and VolumeDiscount.objects.count() == 5
    ecs = Product.objects.get(sku="CLD-ECS")
    tier_a = CompanyFactory(tier="A")
    assert price_for(product=ecs, customer=tier_a, currency="CNY").unit_price == Decimal("515.20")
    tier_b = CompanyFactory(tier="B")
    today = timezone.localdate()
    if today.month in (11, 12):
        assert price_for(product=ecs, customer=tier_b, on_date=today, currency="CNY").unit_price == Decimal("476.00")
    summer = datetime.date(today.year, 7, 1)
    assert price_for(product=ecs, customer=tier_b, on_date=summer, currency="CNY").unit_price == ecs.list_price
