"""Bad and unusual files: each refused with a clear message, nothing kept, or read right."""

from __future__ import annotations

import io
import zipfile

import pytest

from crm.core.errors import ValidationFailed
from crm.imports.files import detect_encoding, sniff_delimiter
from crm.imports.models import ImportRun

from .helpers import csv_bytes, upload

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "邮箱", "公司", "职位"]
ROW = ["王芳", "138 0013 8000", "Wang.Fang@Example.com", "", "经理"]


def _refused(users, data: bytes, name="file.csv", record_type="contacts") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        upload(users.admin, record_type, data, name)
    assert ImportRun.objects.count() == 0
    return info.value


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gbk", False), ("gb18030", False), ("utf-16", False)]
)
def test_encodings_are_detected(users, encoding, bom):
    run = upload(users.admin, "contacts", csv_bytes([HEADER, ROW], encoding=encoding, bom=bom))
    assert run.headers == HEADER
    assert run.total_rows == 1
    assert run.mapping == {"0": "name", "1": "phone", "2": "email", "3": "company", "4": "title"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(users, delimiter):
    run = upload(
        users.admin, "contacts", csv_bytes([["name", "email"], ["A, B", "a@example.com"]], delimiter=delimiter)
    )
    assert run.delimiter == delimiter
    assert run.headers == ["name", "email"]


def test_sniffing_a_single_column():
    assert sniff_delimiter("name\nAlice\nBob") == ","


def test_wrong_encoding_is_refused(users):
    data = b"name,email\n" + b"\xff\xfe\xfa\xfb\x80\x81,bad\n" * 3
    error = _refused(users, data)
    assert error.code == "encoding"
    assert "encoding" in error.fields["file"][0]


def test_undecodable_bytes_after_the_sample_are_refused(users):
    data = b"name,email\n" + b"Alice,a@example.com\n" * 5000 + b"\xff\xff\xff,x\n"
    assert detect_encoding(data[: 64 * 1024]) == "utf-8"
    error = _refused(users, data)
    assert error.code == "encoding"


def test_empty_file(users):
    assert _refused(users, b"").code == "empty"
    assert _refused(users, b"\n\n ,\n").code == "empty"


def test_header_without_rows(users):
    assert _refused(users, b"name,email\n").code == "no_rows"


def test_duplicated_header_names(users):
    error = _refused(users, csv_bytes([["name", "Email", "email"], ["a", "b", "c"]]))
    assert error.code == "duplicate_header"
    assert "email" in error.fields["file"][0].lower()


def test_blank_header_name(users):
    assert _refused(users, csv_bytes([["name", "", "email"], ["a", "b", "c"]])).code == "blank_header"


def test_row_wider_than_the_header(users):
    error = _refused(users, csv_bytes([["name"], ["a", "extra"]]))
    assert error.code == "columns"
    assert "2" in error.fields["file"][0]


def test_unknown_file_type(users):
    assert _refused(users, b"x", name="file.pdf").code == "format"


def test_file_over_the_limit_is_refused_before_it_is_read(users, settings):
    settings.IMPORT_MAX_BYTES = 2048
    error = _refused(users, csv_bytes([["name"]] + [["x" * 50]] * 100))
    assert error.code == "too_large"
    assert "MB" in error.fields["file"][0]
    read = []

    def chunks():
        for _ in range(10):
            read.append(1)
            yield b"x" * 1024

    with pytest.raises(ValidationFailed):
        from crm.imports.services import import_create

        import_create(actor=users.admin, record_type="contacts", name="big.csv", chunks=chunks(), size=None)
    assert len(read) == 3  # stopped at the first chunk past the limit
    assert not list(settings.IMPORT_DIR.iterdir())


def _xlsx(rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_is_read_with_typed_cells(users):
    import datetime

    data = _xlsx([["Name", "E-mail", "Birthday", "Score"], ["Alice", "a@example.com", datetime.date(1990, 5, 1), 3.0]])
    run = upload(users.admin, "contacts", data, name="people.xlsx")
    assert run.file_format == "xlsx" and run.total_rows == 1
    from crm.imports.files import preview_rows
    from crm.imports.services import run_path, table_info

    [(number, cells)] = preview_rows(run_path(run), table_info(run))
    assert number == 2 and cells == ["Alice", "a@example.com", "1990-05-01", "3"]


def test_xlsx_bomb_is_refused_before_opening(users):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 30_000_000)
    assert _refused(users, buffer.getvalue(), name="bomb.xlsx").code == "xlsx_bomb"


def test_not_a_workbook(users):
    assert _refused(users, b"PK\x03\x04 not really", name="fake.xlsx").code == "xlsx"


def test_mapping_must_cover_required_fields_and_not_repeat(users):
    from crm.imports.services import import_configure

    run = upload(users.admin, "contacts", csv_bytes([["email", "other"], ["a@example.com", "b@example.com"]]))
    with pytest.raises(ValidationFailed) as info:
        import_configure(run=run, actor=users.admin, mapping={"0": "email"}, match_rule="create")
    assert "Name" in info.value.fields["mapping"][0]
    with pytest.raises(ValidationFailed) as info:
        import_configure(
            run=run, actor=users.admin, mapping={"0": "email", "1": "email"}, match_rule="update", match_on="email"
        )
    assert "two columns" in info.value.fields["mapping"][0]
    with pytest.raises(ValidationFailed) as info:
        import_configure(run=run, actor=users.admin, mapping={"0": "email"}, match_rule="update", match_on="phone")
    assert "match_on" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        import_configure(run=run, actor=users.admin, mapping={"9": "email", "0": "nonsense"}, match_rule="update")
    assert len(info.value.fields["mapping"]) == 2


def test_only_users_who_may_create_can_import(users):
    from crm.core.errors import PermissionDeniedError
    from crm.core.testing.factories import UserFactory

    nobody = UserFactory(username="nobody", role=None)
    with pytest.raises(PermissionDeniedError):
        upload(nobody, "contacts", csv_bytes([HEADER, ROW]))
