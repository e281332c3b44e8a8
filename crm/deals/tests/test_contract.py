"""Deals pass the shared record contract."""

from crm.core.testing.contract import RecordContract
from crm.deals.models import Deal
from crm.deals.views import deal_pages

from .factories import DealFactory, default_pipeline


class TestDealContract(RecordContract):
    model = Deal
    pages = deal_pages

    def make(self, owner, **kwargs):
        return DealFactory(owner=owner, **kwargs)

    def valid_data(self):
        pipeline = default_pipeline()
        return {
            "name": "华为云 2027 续费 Huawei Cloud",
            "amount": "120000.50",
            "currency": "CNY",
            "pipeline": pipeline.pk,
            "stage": pipeline.stages.order_by("position").first().pk,
            "expected_close_date": "2027-03-31",
        }
