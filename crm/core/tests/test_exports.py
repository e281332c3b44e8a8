"""Exports of a list as CSV and XLSX: the same rows, only what the user may see, filtered,
neutralised, typed cells in XLSX, permission, audit, and the API endpoint."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.accounts.services import token_create
from crm.audit.models import AuditEntry
from crm.contacts.models import Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core import exports
from crm.core.models import CustomField

pytestmark = pytest.mark.django_db
EXPORT = "contacts:contact_export"
API_EXPORT = "/api/v1/contacts/export/"


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        # Reading to the end lets the test client close the response (and its
        # temporary file) the way a server would; closing it here as well would
        # close the test's database connection on PostgreSQL.
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook.active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def get(client, fmt: str, **params):
    return client.get(reverse(EXPORT), {"format": fmt, **params})


@pytest.fixture
def contacts(users):
    company = CompanyFactory(owner=users.owner, name="华信科技")
    return [
        ContactFactory(owner=users.owner, name="王芳", title="经理", company=company),
        ContactFactory(owner=users.owner, name='=HYPERLINK("http://x")', title="+1 sales"),
        ContactFactory(owner=users.teammate, name="Li Lei", title="@home", phone="-5"),
        ContactFactory(owner=users.outsider, name="Hidden Person", title="\tTab"),
    ]


def test_csv_and_xlsx_give_the_same_rows_and_only_visible_ones(users, contacts, client_for):
    client = client_for(users.manager)
    as_csv = csv_rows(get(client, "csv"))
    as_xlsx = xlsx_rows(get(client, "xlsx"))
    assert as_csv[0] == as_xlsx[0]
    assert len(as_csv) == len(as_xlsx) == 4  # header + the three contacts in the manager's teams
    header = as_csv[0]
    created = header.index("Created")
    for row_csv, row_xlsx in zip(as_csv[1:], as_xlsx[1:], strict=True):
        assert int(row_csv[0]) == row_xlsx[0]
        for i, (a, b) in enumerate(zip(row_csv, row_xlsx, strict=True)):
            if i in (0, created, header.index("Updated")):
                continue
            if isinstance(b, int | float) and not isinstance(b, bool):
                # A spreadsheet number: 0.00 is written as the number 0.
                assert Decimal(a) == Decimal(str(b)), header[i]
            else:
                assert a == ("" if b is None else str(b)), header[i]
    ids = {int(r[0]) for r in as_csv[1:]}
    assert contacts[3].pk not in ids
    assert ids == {c.pk for c in contacts[:3]}


def test_rows_follow_filters_and_sort(users, contacts, client_for):
    client = client_for(users.manager)
    as_csv = csv_rows(get(client, "csv", owner=users.teammate.pk))
    as_xlsx = xlsx_rows(get(client, "xlsx", owner=users.teammate.pk))
    assert [r[0] for r in as_csv[1:]] == [str(contacts[2].pk)]
    assert [r[0] for r in as_xlsx[1:]] == [contacts[2].pk]
    by_name = xlsx_rows(get(client, "xlsx", sort="-name"))
    name = by_name[0].index("Name")
    names = [r[name] for r in by_name[1:]]
    assert names == sorted(names, reverse=True)


def test_formula_cells_are_neutralised_and_chinese_is_intact(users, contacts, client_for):
    client = client_for(users.manager)
    for rows in (csv_rows(get(client, "csv")), xlsx_rows(get(client, "xlsx"))):
        cells = {cell for row in rows for cell in row if isinstance(cell, str)}
        assert {'\'=HYPERLINK("http://x")', "'+1 sales", "'@home", "'-5"} <= cells
        assert {"王芳", "经理", "华信科技"} <= cells
        assert not any(cell.startswith(exports.FORMULA_PREFIXES) for cell in cells)


def test_xlsx_has_no_formula_cells_and_a_named_sheet_with_bold_header(users, contacts, client_for):
    content = body(get(client_for(users.manager), "xlsx"))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and all(b"<f>" not in archive.read(n) for n in sheets)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Contacts"]
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_dates_are_dates_in_the_users_time_zone_and_numbers_are_numbers(users, client_for):
    users.manager.time_zone = "Asia/Shanghai"
    users.manager.save()
    ct = ContentType.objects.get_for_model(Contact)
    CustomField.objects.create(content_type=ct, name="budget", label_en="Budget", field_type="number")
    CustomField.objects.create(content_type=ct, name="rate", label_en="Rate", field_type="decimal")
    CustomField.objects.create(content_type=ct, name="met", label_en="Met on", field_type="date")
    contact = ContactFactory(
        owner=users.owner, custom_fields={"budget": 12, "rate": "2.5", "met": "2026-03-04"}, name="Typed"
    )
    Contact.objects.filter(pk=contact.pk).update(created_at=datetime.datetime(2026, 1, 2, 20, 30, tzinfo=datetime.UTC))
    rows = xlsx_rows(get(client_for(users.manager), "xlsx"))
    header, row = rows[0], rows[1]
    value = dict(zip(header, row, strict=True))
    assert value["Created"] == datetime.datetime(2026, 1, 3, 4, 30)  # 20:30 UTC is 04:30 in Shanghai
    assert isinstance(value["Updated"], datetime.datetime)
    assert value["Budget"] == 12 and isinstance(value["Budget"], int)
    assert value["Rate"] == 2.5
    assert value["Met on"] == datetime.datetime(2026, 3, 4)  # openpyxl reads Excel dates as datetimes
    assert value["id"] == contact.pk


def test_export_needs_the_export_permission_in_both_formats(users, contacts, client_for, api_for):
    client = client_for(users.owner)  # a sales rep: no export permission
    for fmt in ("csv", "xlsx"):
        assert get(client, fmt).status_code == 403
        response = api_for(users.owner).get(API_EXPORT, {"format": fmt})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert not AuditEntry.objects.filter(action="export").exists()


def test_unknown_format_is_refused(users, client_for, api_for):
    assert get(client_for(users.manager), "pdf").status_code == 400
    response = api_for(users.manager).get(API_EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]


def test_each_export_is_audited_with_rows_filters_and_format(users, contacts, client_for):
    client = client_for(users.manager)
    body(get(client, "csv", owner=users.teammate.pk))
    body(get(client, "xlsx"))
    entries = list(AuditEntry.objects.filter(action="export", actor=users.manager).order_by("pk"))
    assert [e.extra["format"] for e in entries] == ["csv", "xlsx"]
    assert entries[0].extra["rows"] == 1 and entries[0].extra["filters"] == f"owner={users.teammate.pk}"
    assert "format" not in entries[0].extra["filters"]
    assert entries[1].extra["rows"] == 3 and entries[1].extra["record_type"] == "contacts.contact"


def test_api_export_with_session_and_token_respects_visibility(users, contacts, client_for):
    expected = {c.pk for c in contacts[:3]}
    session = client_for(users.manager)
    rows = csv_rows(session.get(API_EXPORT, {"format": "csv"}))
    assert {int(r[0]) for r in rows[1:]} == expected
    _token, key = token_create(user=users.manager, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    rows = xlsx_rows(api.get(API_EXPORT, {"format": "xlsx"}, HTTP_ACCEPT="application/json"))
    assert {r[0] for r in rows[1:]} == expected
    rows = csv_rows(api.get(API_EXPORT, {"format": "csv", "owner": users.teammate.pk}))
    assert [int(r[0]) for r in rows[1:]] == [contacts[2].pk]
    formats = list(AuditEntry.objects.filter(action="export").order_by("pk").values_list("extra__format", flat=True))
    assert formats == ["csv", "xlsx", "csv"]
    assert APIClient().get(API_EXPORT).status_code in (401, 403)


def test_list_page_offers_both_formats_with_filters_and_sort(users, contacts, client_for):
    html = client_for(users.manager).get(reverse("contacts:contact_list"), {"q": "王", "sort": "name"}).content
    page = html.decode()
    links = re.findall(r'href="(' + re.escape(reverse(EXPORT)) + r'[^"]*)"', page)
    assert links == [f"{reverse(EXPORT)}?format={fmt}&q=%E7%8E%8B&sort=name" for fmt in ("csv", "xlsx")], links
    assert "Export Excel" in page
    assert "Export" not in client_for(users.owner).get(reverse("contacts:contact_list")).content.decode()


def test_xlsx_writer_goes_on_in_a_new_sheet_past_the_row_limit(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    file = exports.xlsx_file(
        ["id", "when"], ([i, timezone.now().replace(tzinfo=None)] for i in range(5)), sheet_name="x" * 40
    )
    workbook = openpyxl.load_workbook(file)
    file.close()
    assert workbook.sheetnames == ["x" * 31, "x" * 27 + " (2)", "x" * 27 + " (3)"]
    ids = [row[0] for sheet in workbook for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == [0, 1, 2, 3, 4]
    assert exports.sheet_title("a/b[c]") == "a b c"


def test_decimal_values_are_numbers():
    file = exports.xlsx_file(["n"], [[Decimal("1.25")], [True]], sheet_name="n")
    sheet = openpyxl.load_workbook(file).active
    file.close()
    assert sheet["A2"].value == 1.25 and sheet["A3"].value is True


def test_rows_read_as_values_match_the_columns_read_from_records(users, contacts):
    from crm.contacts.tables import ContactTable

    ct = ContentType.objects.get_for_model(Contact)
    CustomField.objects.create(content_type=ct, name="budget", label_en="Budget", field_type="number")
    contacts[0].custom_fields = {"budget": 7}
    contacts[0].save()
    contacts[0].tags.create(name="vip")
    contacts[0].tags.create(name="北京")
    type(contacts[0].company).all_objects.filter(pk=contacts[0].company_id).update(deleted_at=timezone.now())
    table = ContactTable()
    qs = Contact.objects.order_by("pk")
    assert table._value_paths() is not None
    from_records = [[obj.pk] + [c.export_value(obj) for c in table.all_columns] for obj in qs]
    assert list(table.export_rows(qs, chunk_size=2)) == from_records


def test_companies_export_through_the_api_names_file_and_sheet(users, api_for):
    mine = CompanyFactory(owner=users.owner, name="鼎盛")
    CompanyFactory(owner=users.outsider, name="Elsewhere Ltd")
    response = api_for(users.manager).get("/api/v1/companies/export/", {"format": "xlsx"})
    assert response.status_code == 200
    assert 'filename="companies.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["Companies"]
    rows = list(workbook.active.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [(mine.pk, "鼎盛")]
