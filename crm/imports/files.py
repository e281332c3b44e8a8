"""Reading an uploaded table: CSV in any common encoding or XLSX, streamed row by row.

Everything a file can do wrong is found here, before a single record is written: too
large, empty, an encoding we cannot read, a zip bomb pretending to be a workbook, no
header, blank or repeated column names. Each is a FileProblem with a translated message.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
MAX_COLUMNS = 500
MAX_CELL_CHARS = 100_000
XLSX_MAX_RATIO = 200  # uncompressed / compressed: real sheets compress 5-20 times
csv.field_size_limit(MAX_CELL_CHARS * 10)


class FileProblem(Exception):
    """A file we refuse, with a message for the person who uploaded it."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class TableInfo:
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    total_rows: int


def file_format_of(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise FileProblem(_("Upload a CSV file (.csv) or an Excel workbook (.xlsx)."), code="format")


def check_size(size: int | None) -> None:
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        raise FileProblem(
            _("The file is larger than the %(limit)s MB an import accepts. Split it into smaller files.")
            % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )


# CSV -------------------------------------------------------------------------------
def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV file from its first bytes: a BOM decides; else UTF-8 if the
    sample is valid UTF-8 (a character cut at the end of the sample is forgiven), else
    GB18030 (a superset of GBK and GB2312, what Excel saves on a Chinese Windows)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileProblem(
        _("The file's encoding could not be recognised. Save it as “CSV UTF-8” (or GBK) and upload it again."),
        code="encoding",
    )


def sniff_delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    with path.open("r", encoding=encoding, newline="") as handle:
        try:
            yield from csv.reader(handle, delimiter=delimiter)
        except UnicodeDecodeError:
            raise FileProblem(
                _("Part of the file is not in %(encoding)s. Save the whole file as “CSV UTF-8” and upload it again.")
                % {"encoding": encoding.upper()},
                code="encoding",
            ) from None
        except csv.Error as exc:
            raise FileProblem(_("The CSV file is damaged: %(error)s") % {"error": exc}, code="csv") from None


# XLSX ------------------------------------------------------------------------------
def check_xlsx_archive(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than the limit, or that packs
    suspiciously well (a "zip bomb"), before openpyxl reads any of it."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(_("The file is not a valid Excel workbook (.xlsx)."), code="xlsx") from None
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > settings.IMPORT_XLSX_MAX_UNCOMPRESSED or unpacked / packed > XLSX_MAX_RATIO:
        raise FileProblem(
            _("The workbook unpacks to far more data than it holds; it is refused as unsafe."), code="xlsx_bomb"
        )
    if not any(i.filename == "xl/workbook.xml" for i in infos):
        raise FileProblem(_("The file is not a valid Excel workbook (.xlsx)."), code="xlsx")


def xlsx_cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(decimal.Decimal(repr(value)), "f")
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    import openpyxl

    check_xlsx_archive(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(_("The file is not a valid Excel workbook (.xlsx)."), code="xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [xlsx_cell_text(v) for v in row]
    finally:
        workbook.close()


# Both --------------------------------------------------------------------------------
def raw_rows(path: Path, file_format: str, encoding: str = "", delimiter: str = ",") -> Iterator[list[str]]:
    """Every row of the file, header included, as lists of text."""
    if file_format == "xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path, encoding, delimiter)


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def data_rows(path: Path, info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    """(row number in the file, cells) for every non-blank data row; row 1 is the header,
    so the first data row is number 2, as a spreadsheet shows it."""
    rows = raw_rows(path, info.file_format, info.encoding, info.delimiter)
    width = len(info.headers)
    header_seen = False
    for number, row in enumerate(rows, start=1):
        if not header_seen:
            if _blank(row):
                continue
            header_seen = True
            continue
        if _blank(row):
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        yield number, row


def check_headers(headers: list[str]) -> list[str]:
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise FileProblem(_("The file has no header row with column names."), code="no_header")
    if len(headers) > MAX_COLUMNS:
        raise FileProblem(_("The file has more than %(n)s columns.") % {"n": MAX_COLUMNS}, code="columns")
    if any(not h for h in headers):
        raise FileProblem(
            _("Column %(n)s has no name. Give every column a name in the first row.") % {"n": headers.index("") + 1},
            code="blank_header",
        )
    seen: set[str] = set()
    for h in headers:
        key = h.casefold()
        if key in seen:
            raise FileProblem(
                _("The column name “%(name)s” appears more than once. Give each column its own name.") % {"name": h},
                code="duplicate_header",
            )
        seen.add(key)
    return headers


def inspect_file(path: Path, file_format: str) -> TableInfo:
    """Read the whole file once: encoding, delimiter, header, number of data rows."""
    size = path.stat().st_size
    check_size(size)
    if size == 0:
        raise FileProblem(_("The file is empty."), code="empty")
    encoding, delimiter = "", ""
    if file_format == "csv":
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        encoding = detect_encoding(sample)
        text = sample.decode(encoding, errors="ignore")
        delimiter = sniff_delimiter(text.lstrip("\ufeff"))
    rows = raw_rows(path, file_format, encoding, delimiter)
    headers: list[str] | None = None
    total = 0
    for number, row in enumerate(rows, start=1):
        if headers is None:
            if _blank(row):
                continue
            headers = check_headers(row)
            continue
        if not _blank(row):
            total += 1
            if len(row) > len(headers) and any(c.strip() for c in row[len(headers) :]):
                raise FileProblem(
                    _("Row %(row)s has more cells than there are column names.") % {"row": number},
                    code="columns",
                )
    if headers is None:
        raise FileProblem(_("The file is empty."), code="empty")
    if total == 0:
        raise FileProblem(_("The file has a header but no data rows."), code="no_rows")
    return TableInfo(file_format, encoding, delimiter, headers, total)


def preview_rows(path: Path, info: TableInfo, limit: int = 20) -> list[tuple[int, list[str]]]:
    result = []
    for item in data_rows(path, info):
        result.append(item)
        if len(result) >= limit:
            break
    return result
