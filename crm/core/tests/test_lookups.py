"""The any_of lookup: membership in a list, one array parameter on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_listed_values_only():
    ContactFactory(email="a@example.com")
    ContactFactory(email="b@example.com")
    ContactFactory(email="c@example.com")
    found = Contact.objects.filter(email__any_of=["a@example.com", "c@example.com", "x@example.com"])
    assert sorted(found.values_list("email", flat=True)) == ["a@example.com", "c@example.com"]
    assert list(Contact.objects.filter(email__any_of=[])) == []
    ids = list(Contact.objects.values_list("pk", flat=True))
    assert Contact.objects.filter(pk__any_of=ids[:2]).count() == 2


def test_any_of_sends_one_parameter_on_postgresql():
    ContactFactory(email="a@example.com")
    with CaptureQueriesContext(connection) as queries:
        list(Contact.objects.filter(email__any_of=[f"{i}@example.com" for i in range(500)]))
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and sql.count("@example.com") == 500
    else:
        assert " IN (" in sql
