import pytest

from crm.contacts.models import Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.duplicates.demo import seed_duplicates
from crm.duplicates.models import DuplicatePair

pytestmark = pytest.mark.django_db


def test_seed_duplicates_makes_copies_the_scan_finds(users):
    companies = [CompanyFactory(name=f"远航{i}物流有限公司", phone=f"+86215550{i:04d}") for i in range(5)]
    for i in range(20):
        ContactFactory(
            name=["张伟", "王芳", "李娜", "Peter Klein"][i % 4] + ("" if i < 4 else f"{i}"),
            email=f"person{i}@example.com",
            phone=f"+86138{i:08d}",
            company=companies[i % 5],
            owner=users.owner,
        )
    result = seed_duplicates(contacts=8, companies=3, seed=1)
    assert result["copies"] == {"contacts": 8, "companies": 3}
    assert Contact.objects.count() == 28
    found = DuplicatePair.objects.filter(kind="contact", score__gte=80).count()
    assert found >= 6, result
    assert DuplicatePair.objects.filter(kind="company").count() >= 2
