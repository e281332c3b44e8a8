"""The "bought product X" filter of companies and contacts (lists, saved segments and
the API): customers with an order of that product, confirmed or further."""

import pytest
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.orders.models import OrderStatus
from crm.orders.tests.factories import make_order
from crm.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _line(product):
    return [{"product": product, "description": product.name, "quantity": "2", "unit_price": "100", "tax_rate": "13"}]


def test_companies_and_contacts_that_bought_a_product(users, client_for, api_for):
    product = ProductFactory(name="Cloud server 云服务器")
    other = ProductFactory(name="Office suite 办公套件")
    buyer = CompanyFactory(owner=users.owner, name="Buyer 买家公司")
    draft_only = CompanyFactory(owner=users.owner, name="Draft 草稿公司")
    other_buyer = CompanyFactory(owner=users.owner, name="Other 其他公司")
    person = ContactFactory(owner=users.owner, name="李娜", company=None)
    make_order(owner=users.owner, company=buyer, status=OrderStatus.CONFIRMED, lines=_line(product))
    make_order(owner=users.owner, company=draft_only, status=OrderStatus.DRAFT, lines=_line(product))
    make_order(owner=users.owner, company=other_buyer, status=OrderStatus.COMPLETED, lines=_line(other))
    make_order(owner=users.owner, contact=person, status=OrderStatus.SHIPPED, lines=_line(product))

    client = client_for(users.owner)
    html = client.get(reverse("contacts:company_list"), {"bought_product": product.pk}).content.decode()
    assert "Buyer 买家公司" in html and "Draft 草稿公司" not in html and "Other 其他公司" not in html
    ids = {
        r["id"]
        for r in api_for(users.owner).get(reverse("contact-list"), {"bought_product": product.pk}).json()["results"]
    }
    assert ids == {person.pk}
    bad = api_for(users.owner).get(reverse("company-list"), {"bought_product": 999999})
    assert bad.status_code == 400
