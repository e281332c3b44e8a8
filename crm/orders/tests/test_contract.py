"""Orders pass the shared record contract."""

import pytest

from crm.contacts.tests.factories import CompanyFactory
from crm.core.testing.contract import RecordContract
from crm.orders.models import Order
from crm.orders.views import order_pages

from .factories import OrderFactory


class TestOrderContract(RecordContract):
    model = Order
    pages = order_pages
    edit_field = "title"

    @pytest.fixture(autouse=True)
    def _company(self, users):
        self.company = CompanyFactory(owner=users.owner)

    def make(self, owner, **kwargs):
        return OrderFactory(owner=owner, **kwargs)

    def valid_data(self):
        return {
            "title": "华为云服务器 Huawei Cloud servers",
            "company": self.company.pk,
            "currency": "CNY",
            "order_date": "2026-11-30",
        }
