import csv

import pytest
from django.core.management import CommandError, call_command

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.duplicates.models import DuplicatePair

pytestmark = pytest.mark.django_db


def test_find_duplicates_writes_the_pairs_above_the_threshold(users, tmp_path):
    acme = CompanyFactory(name="Acme Robotics", owner=users.owner)
    a = ContactFactory(name="张伟", email="zw@acme.cn", company=acme)
    b = ContactFactory(name="Wei Zhang", email="zw@acme.cn", company=acme)
    c = ContactFactory(name="Peter Klein", email="", phone="+8613800138000")
    d = ContactFactory(name="Petra Klein", email="", phone="+86 138 0013 8000")
    ContactFactory(name="王芳", email="wf@example.com")
    out = tmp_path / "pairs.csv"
    call_command("find_duplicates", "contacts", "--output", str(out))
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["id_a", "id_b", "score"]
    pairs = {(int(x), int(y)): int(s) for x, y, s in rows[1:]}
    assert (min(a.pk, b.pk), max(a.pk, b.pk)) in pairs
    assert all(score >= 80 for score in pairs.values())
    # A lower threshold also lists the weaker pair; nothing is stored either way.
    call_command("find_duplicates", "contacts", "--output", str(out), "--min-score", "50")
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert (str(min(c.pk, d.pk)), str(max(c.pk, d.pk))) in {(x, y) for x, y, _ in rows[1:]}
    assert not DuplicatePair.objects.exists()


def test_find_duplicates_companies_and_bad_arguments(users, tmp_path):
    CompanyFactory(name="华信科技有限公司", phone="+862155500001")
    CompanyFactory(name="华信科技", phone="+862155500001")
    out = tmp_path / "companies.csv"
    call_command("find_duplicates", "companies", "-o", str(out))
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    with pytest.raises(CommandError):
        call_command("find_duplicates", "companies", "-o", str(out), "--min-score", "101")
    with pytest.raises(CommandError):
        call_command("find_duplicates", "deals", "-o", str(out))
