"""Building import files and runs for the tests."""

from __future__ import annotations

import csv
import io

from crm.imports.services import import_configure, import_create, import_execute


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def upload(actor, record_type: str, data: bytes, name: str = "file.csv"):
    return import_create(actor=actor, record_type=record_type, name=name, chunks=[data], size=len(data))


def run_import(actor, record_type: str, rows, *, match_rule="create", match_on="", mapping=None, chunk_rows=None, **kw):
    run = upload(actor, record_type, csv_bytes(rows, **kw))
    import_configure(
        run=run,
        actor=actor,
        mapping=mapping if mapping is not None else run.mapping,
        match_rule=match_rule,
        match_on=match_on,
    )
    run.status = run.Status.QUEUED
    run.save(update_fields=["status"])
    return import_execute(run=run, chunk_rows=chunk_rows)
