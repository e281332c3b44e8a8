from decimal import Decimal

import factory

from crm.products.models import Product
from crm.products.services import product_search_text


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Cloud server {n}")
    name_zh = factory.Sequence(lambda n: f"云服务器 {n}")
    unit = "pcs"
    list_price = Decimal("100.00")
    currency = "CNY"
    tax_rate = Decimal("13.00")
    search_text = factory.LazyAttribute(lambda o: product_search_text(sku=o.sku, name=o.name, name_zh=o.name_zh))
