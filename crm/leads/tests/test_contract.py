"""Leads pass the shared record contract."""

from crm.core.testing.contract import RecordContract
from crm.leads.models import Lead
from crm.leads.views import lead_pages

from .factories import LeadFactory


class TestLeadContract(RecordContract):
    model = Lead
    pages = lead_pages

    def make(self, owner, **kwargs):
        return LeadFactory(owner=owner, **kwargs)

    def valid_data(self):
        return {"name": "华为云采购 Huawei Cloud", "email": "Buyer@Example.com", "source": "manual", "score": 10}
