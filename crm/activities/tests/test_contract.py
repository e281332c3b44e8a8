"""Activities pass the shared record contract."""

import pytest

from crm.activities.models import Activity
from crm.activities.views import activity_pages
from crm.contacts.tests.factories import CompanyFactory
from crm.core.testing.contract import RecordContract

from .factories import ActivityFactory


class TestActivityContract(RecordContract):
    model = Activity
    pages = activity_pages
    edit_field = "subject"

    @pytest.fixture(autouse=True)
    def _company(self, users):
        self.company = CompanyFactory(owner=users.owner)

    def make(self, owner, **kwargs):
        return ActivityFactory(owner=owner, **kwargs)

    def valid_data(self):
        return {
            "kind": "call",
            "subject": "与华为云 王芳 通话 Call with Huawei Cloud",
            "occurred_at": "2026-11-30T10:30",
            "direction": "out",
            "duration_minutes": 15,
            "priority": "normal",
            "company": self.company.pk,
        }
