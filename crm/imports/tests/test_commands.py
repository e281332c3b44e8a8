"""import_data and export_data: the same services as the wizard and the list export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.imports.models import ImportRun

from .helpers import csv_bytes

pytestmark = pytest.mark.django_db


def test_import_data_with_mapping_and_match(users, tmp_path):
    ContactFactory(name="Old", email="a@example.com", owner=users.owner)
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes([["Full", "Mail"], ["New", "A@example.com"], ["Second", "b@example.com"]], encoding="gbk")
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Full": "name", "Mail": "email"}))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_data", "contacts", str(path), mapping=str(mapping), match="email", user="owner", stdout=out, stderr=err
    )
    assert "1 created, 1 updated" in out.getvalue()
    assert "rows" in err.getvalue() and "#" in err.getvalue()
    assert Contact.objects.get(email="a@example.com").name == "New"
    assert Contact.objects.get(email="b@example.com").owner == users.owner


def test_import_data_dry_run_saves_nothing(users, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([["name", "email"], ["A", "a@example.com"]]))
    out = io.StringIO()
    call_command("import_data", "contacts", str(path), dry_run=True, user="admin", quiet=True, stdout=out)
    assert "1 created" in out.getvalue() and Contact.objects.count() == 0


def test_import_data_reports_bad_files(users, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_data", "contacts", str(path), user="admin")
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_data", "contacts", str(path), user="ghost")
    assert ImportRun.objects.count() == 0


def test_export_data_equals_the_page_export(users, tmp_path, client_for):
    ContactFactory(name="Alice", email="alice@example.com", owner=users.owner)
    ContactFactory(name="=cmd|' /C calc'!A0", owner=users.owner)
    ContactFactory(name="Hidden", owner=users.outsider)
    path = tmp_path / "contacts.csv"
    call_command("export_data", "contacts", str(path), user="manager", quiet=True, stdout=io.StringIO())
    from_command = path.read_bytes().decode("utf-8")
    response = client_for(users.manager).get("/customers/contacts/export/?format=csv")
    from_page = b"".join(response.streaming_content).decode("utf-8")
    assert from_command == from_page
    names = [row[1] for row in csv.reader(io.StringIO(from_command.lstrip("\ufeff")))][1:]
    assert "Alice" in names and "Hidden" not in names and "'=cmd|' /C calc'!A0" in names


def test_export_data_xlsx_and_segment(users, tmp_path):
    import openpyxl

    from crm.core.segments import segment_create

    ContactFactory(name="Alice", owner=users.owner)
    ContactFactory(name="Bob", owner=users.owner)
    segment = segment_create(actor=users.manager, list_name="contacts.contact", name="A", query="q=alice")
    path = tmp_path / "contacts.xlsx"
    call_command(
        "export_data", "contacts", str(path), user="manager", segment=segment.pk, quiet=True, stdout=io.StringIO()
    )
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "Alice"
