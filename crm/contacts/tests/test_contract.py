"""Companies and contacts pass the shared record contract."""

from crm.contacts.models import Company, Contact
from crm.contacts.views import company_pages, contact_pages
from crm.core.testing.contract import RecordContract

from .factories import CompanyFactory, ContactFactory


class TestCompanyContract(RecordContract):
    model = Company
    pages = company_pages

    def make(self, owner, **kwargs):
        return CompanyFactory(owner=owner, **kwargs)

    def valid_data(self):
        return {"name": "北京鼎盛贸易有限公司", "industry": "贸易", "email": "Info@DingSheng.cn"}


class TestContactContract(RecordContract):
    model = Contact
    pages = contact_pages

    def make(self, owner, **kwargs):
        return ContactFactory(owner=owner, **kwargs)

    def valid_data(self):
        return {"name": "李娜", "email": "Li.Na@Example.com", "phone": "+86 138 0000 0000"}
