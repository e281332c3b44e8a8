"""Exports of a record list as CSV or XLSX: flat memory however many rows, no formula injection.

CSV is streamed row by row. XLSX is written row by row to a temporary file (the
workbook is a zip, so it can only be sent once it is complete), then streamed from
that file in chunks; the file is deleted when the response is closed.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_TEXT = 32_767
SHEET_NAME_MAX = 31
CSV_BATCH_ROWS = 200
FILE_CHUNK_BYTES = 256 * 1024


def neutralise(value) -> str:
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def text(value) -> str:
    """A cell as CSV text: dates and times as YYYY-MM-DD [HH:MM], which spreadsheets read as dates."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


def csv_cell(value) -> str:
    """text() then neutralise(), with a short path for the common cases."""
    kind = type(value)
    if kind is str:
        return "'" + value if value[:1] in _PREFIX_CHARS else value
    return neutralise(text(value))


_PREFIX_CHARS = frozenset(FORMULA_PREFIXES)


def stream_csv(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read UTF-8 (Chinese names) correctly
    yield writer.writerow([neutralise(h) for h in header])
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([csv_cell(v) for v in row]))
        if len(batch) >= CSV_BATCH_ROWS:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def sheet_title(name: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(name)).strip().strip("'")
    return (cleaned or "Sheet")[:SHEET_NAME_MAX]


def write_xlsx(file, header: list[str], rows: Iterable[list], *, sheet_name: str) -> int:
    """Write rows to an open binary file as one workbook; returns the number of data rows.

    Cells keep their type: numbers as numbers, dates and times (already in the
    reader's time zone, without tzinfo) as Excel dates, everything else as text,
    neutralised like CSV and never as a formula. Past Excel's row limit the rows go
    on in further sheets.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,  # each row goes to disk once the next one starts
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    workbook.use_zip64()  # only used when a part passes 4 GB (a very wide sheet)
    bold = workbook.add_format({"bold": True})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    title = sheet_title(sheet_name)
    header = [neutralise(h) for h in header]

    def new_sheet(number: int):
        suffix = f" ({number})" if number > 1 else ""
        sheet = workbook.add_worksheet(title[: SHEET_NAME_MAX - len(suffix)] + suffix)
        sheet.set_column(0, 0, 10)
        if len(header) > 1:
            sheet.set_column(1, len(header) - 1, 20)
        sheet.freeze_panes(1, 0)
        for col, text in enumerate(header):
            sheet.write_string(0, col, text, bold)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    row_index = 0
    written = 0
    for row in rows:
        row_index += 1
        if row_index >= XLSX_MAX_ROWS:
            sheets += 1
            sheet = new_sheet(sheets)
            row_index = 1
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(row_index, col, value)
            elif isinstance(value, int | float):
                sheet.write_number(row_index, col, value)
            elif isinstance(value, decimal.Decimal):
                sheet.write_number(row_index, col, float(value))
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(row_index, col, value.replace(tzinfo=None), datetime_format)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row_index, col, value, date_format)
            else:
                sheet.write_string(row_index, col, neutralise(value)[:XLSX_MAX_TEXT])
        written += 1
    workbook.close()
    return written


def xlsx_file(header: list[str], rows: Iterable[list], *, sheet_name: str):
    """The workbook in an anonymous temporary file, positioned at its start.

    The file has no name on disk, so it disappears when it is closed (a
    FileResponse closes it once sent) or if the process dies.
    """
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    try:
        write_xlsx(file, header, rows, sheet_name=sheet_name)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


# Files written by background jobs ----------------------------------------------------


def export_file_path(job_id) -> Path:
    from django.conf import settings

    return Path(settings.EXPORT_DIR) / f"{job_id}.xlsx"


def write_export_file(path: Path, header: list[str], rows: Iterable[list], *, sheet_name: str) -> int:
    """The workbook written next to its final name and renamed when complete, so a
    half-written file is never offered for download (a crashed job leaves only .part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        with partial.open("wb") as file:
            written = write_xlsx(file, header, rows, sheet_name=sheet_name)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def export_files_purge(*, hours: int, now: float | None = None) -> int:
    """Delete export files (and leftovers of crashed jobs) older than ``hours``."""
    import time

    from django.conf import settings

    folder = Path(settings.EXPORT_DIR)
    if not folder.is_dir():
        return 0
    limit = (now or time.time()) - hours * 3600
    removed = 0
    for file in folder.iterdir():
        if file.suffix in {".xlsx", ".part"} and file.stat().st_mtime < limit:
            file.unlink(missing_ok=True)
            removed += 1
    return removed
