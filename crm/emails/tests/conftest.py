from pathlib import Path

import pytest
from django.utils import translation

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = "in.crm.example.com"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def inbound_domain(settings):
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    return DOMAIN


def eml(name: str, **replace: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(key.encode(), value.encode())
    return raw


@pytest.fixture
def people(users):
    """Contacts of the sales team: 王芳 at 华信 (Chinese-speaking, owned by the rep),
    Alice at Acme (the rep's), Bob at Globex (the manager's: the rep's team cannot see
    him), and one of another team's."""
    from crm.contacts.tests.factories import CompanyFactory, ContactFactory

    huaxin = CompanyFactory(name="华信科技有限公司", owner=users.owner)
    acme = CompanyFactory(name="Acme Robotics", owner=users.owner)
    globex = CompanyFactory(name="Globex Trading", owner=users.manager)
    users.owner.email = "owner@crm.example.com"
    users.owner.full_name = "Rep Owner"
    users.owner.phone = "+86 138 0000 0000"
    users.owner.save()
    return {
        "wang": ContactFactory(
            name="王芳",
            email="wangfang@huaxin.example.cn",
            company=huaxin,
            owner=users.owner,
            title="采购经理",
            preferred_language="zh-hans",
        ),
        "alice": ContactFactory(
            name="Alice Chen", email="alice@acme.example.com", company=acme, owner=users.owner, title="CTO"
        ),
        "bob": ContactFactory(name="Bob Stone", email="bob@globex.example.com", company=globex, owner=users.manager),
        "hidden": ContactFactory(name="Hidden Person", email="hidden@else.example.com", owner=users.outsider),
        "no_email": ContactFactory(name="No Mail", email="", owner=users.owner),
    }
