"""Imports: upload, mapping, preview, the chunked run, undo. Pages, API, job and command use these.

A run is applied in chunks of IMPORT_CHUNK_ROWS data rows. One chunk is one
transaction holding its records, an ImportChange row per record created or updated
(with the previous values of an update and the version the import left), an
ImportRowError per refused row, and the run's checkpoint and counts. A crash
therefore leaves whole chunks and a checkpoint that says exactly which; running the
job again resumes after the checkpoint, and undo can always take back what was applied.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import gc
import os
import pickle
import queue
import signal
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.audit.services import Action, audit_record
from crm.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ServiceError, ValidationFailed
from crm.core.text import clean_text, company_name_key, phone_to_e164
from crm.core.visibility import can_access, visible_to

from . import cleaning
from .files import FileProblem, TableInfo, check_size, data_rows, file_format_of, inspect_file
from .models import ExternalId, ImportChange, ImportRowError, ImportRun, MatchOn, MatchRule
from .targets import FieldSpec, Target, all_field_specs, suggest_mapping, target_for

PREVIEW_ROWS = 20
PREPARED_CHUNKS_AHEAD = 3  # chunks the child may have ready before they are written
UPLOAD_CHUNK = 1024 * 1024


class _Rollback(Exception):
    """Raised inside a transaction to throw away what a preview or dry run wrote."""


# Files -------------------------------------------------------------------------------
def import_dir() -> Path:
    path = Path(settings.IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_path(run: ImportRun) -> Path:
    return import_dir() / run.stored_name


def _file_error(problem: FileProblem) -> ValidationFailed:
    return ValidationFailed(problem.message, fields={"file": [problem.message]}, code=problem.code)


def _require_target(record_type: str) -> Target:
    target = target_for(record_type)
    if target is None:
        raise ValidationFailed(fields={"record_type": [_("Choose what the file holds.")]})
    return target


def _require_import_perm(actor, target: Target) -> None:
    model = target.model
    if actor is not None and not actor.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}"):
        raise PermissionDeniedError(_("You may not create %(things)s.") % {"things": model._meta.verbose_name_plural})


def import_create(*, actor, record_type: str, name: str, chunks: Iterable[bytes], size: int | None = None) -> ImportRun:
    """Store an uploaded file and read it once (encoding, delimiter, header, row count).

    ``chunks`` is read as it arrives and the copy stops as soon as it passes
    IMPORT_MAX_BYTES, so an oversized upload never fills the disk. Every problem of the
    file is a ValidationFailed on ``file`` with a translated message; nothing is kept."""
    target = _require_target(record_type)
    _require_import_perm(actor, target)
    try:
        file_format = file_format_of(name)
        check_size(size)
    except FileProblem as problem:
        raise _file_error(problem) from None
    stored = f"{uuid.uuid4().hex}.{file_format}"
    path = import_dir() / stored
    written = 0
    try:
        with path.open("wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                check_size(written)
                handle.write(chunk)
        info = inspect_file(path, file_format)
    except FileProblem as problem:
        path.unlink(missing_ok=True)
        raise _file_error(problem) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ImportRun.objects.create(
        record_type=record_type,
        original_name=Path(name).name[:255],
        stored_name=stored,
        file_format=file_format,
        file_size=written,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        total_rows=info.total_rows,
        mapping=suggest_mapping(target, info.headers),
        match_on=_default_match_on(target, suggest_mapping(target, info.headers)),
        created_by=actor if actor is not None and actor.pk else None,
    )


def _default_match_on(target: Target, mapping: dict) -> str:
    mapped = set(mapping.values())
    for option in target.match_on:
        if option in mapped:
            return option
    return ""


def table_info(run: ImportRun) -> TableInfo:
    return TableInfo(run.file_format, run.encoding, run.delimiter, list(run.headers), run.total_rows)


def imports_visible_to(user):
    """The imports a user may see: their own; administrators see all."""
    qs = ImportRun.objects.select_related("created_by", "job")
    if user.is_crm_admin:
        return qs
    return qs.filter(created_by=user)


def import_get(*, actor, pk) -> ImportRun:
    try:
        return imports_visible_to(actor).get(pk=int(pk))
    except (ImportRun.DoesNotExist, TypeError, ValueError):
        raise NotFoundError() from None


# Mapping -----------------------------------------------------------------------------
def match_choices(target: Target) -> list[tuple[str, str]]:
    labels = dict(MatchOn.choices)
    return [(key, labels[key]) for key in target.match_on]


def import_configure(
    *, run: ImportRun, actor, mapping: dict, match_rule: str, match_on: str = "", phone_region: str = "CN"
) -> ImportRun:
    """Save the column mapping and the matching rule, refusing what cannot work."""
    if run.status != ImportRun.Status.DRAFT:
        raise ConflictError(_("This import has already been started."))
    target = _require_target(run.record_type)
    specs = {s.key: s for s in all_field_specs(target)}
    errors: dict[str, list[str]] = {}
    if not isinstance(mapping, dict):
        raise ValidationFailed(fields={"mapping": [_("Give the mapping as column number → field.")]})
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for column, key in mapping.items():
        if key in (None, ""):
            continue
        try:
            index = int(column)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(run.headers):
            errors.setdefault("mapping", []).append(_("There is no column %(column)s.") % {"column": column})
            continue
        if key not in specs:
            errors.setdefault("mapping", []).append(_("“%(field)s” is not a field you can import.") % {"field": key})
            continue
        if key in used:
            errors.setdefault("mapping", []).append(
                _("“%(field)s” is chosen for two columns: %(a)s and %(b)s.")
                % {"field": specs[key].label, "a": used[key], "b": run.headers[index]}
            )
            continue
        used[key] = run.headers[index]
        clean[str(index)] = key
    if match_rule not in MatchRule.values:
        errors.setdefault("match_rule", []).append(_("Choose how rows are matched."))
    match_on = match_on or ""
    if match_rule in (MatchRule.UPDATE, MatchRule.UPSERT) or match_on:
        if match_on not in target.match_on:
            errors.setdefault("match_on", []).append(_("Choose what rows are matched by."))
        elif match_on not in used:
            errors.setdefault("match_on", []).append(
                _("Map a column to “%(field)s” to match by it.") % {"field": specs[match_on].label}
            )
    if match_rule != MatchRule.UPDATE:
        missing = [str(s.label) for s in specs.values() if s.required and s.key not in used]
        if missing:
            errors.setdefault("mapping", []).append(
                _("These required fields have no column: %(fields)s.") % {"fields": ", ".join(missing)}
            )
    region = (phone_region or "CN").strip().upper()
    if len(region) != 2 or not region.isalpha():
        errors.setdefault("phone_region", []).append(_("Give a two-letter country code such as CN or US."))
    if errors:
        raise ValidationFailed(fields=errors)
    run.mapping = clean
    run.match_rule = match_rule
    run.match_on = match_on if match_on in target.match_on else ""
    run.phone_region = region
    run.save(update_fields=["mapping", "match_rule", "match_on", "phone_region"])
    return run


# Reading a row -----------------------------------------------------------------------
@dataclass
class ParsedRow:
    number: int
    cells: list[str]
    data: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)
    tags: list[str] | None = None
    external_id: str = ""
    errors: dict = field(default_factory=dict)
    match_key: str | None = None
    # Filled by a writer's prepare() (the bulk path): the row's column values as a new
    # record would store them, or the errors that refuse it as a new record.
    values: tuple | None = None
    build_errors: dict | None = None

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


@dataclass
class Outcome:
    number: int
    action: str  # created, updated, skipped, failed
    object_id: int | None = None
    errors: dict = field(default_factory=dict)
    message: str = ""


class RowReader:
    """Turns the cells of one row into service input, with the run's lookups cached."""

    def __init__(self, run: ImportRun, target: Target, actor):
        self.run = run
        self.target = target
        self.actor = actor
        self.model = target.model
        specs = {s.key: s for s in all_field_specs(target)}
        self.columns: list[tuple[int, FieldSpec]] = [(int(c), specs[k]) for c, k in run.mapping.items() if k in specs]
        self._companies: dict[str, int | None] | None = None
        self._users: dict[str, object] | None = None
        self._named: dict[str, dict] = {}

    def warm(self) -> None:
        """Read every lookup table the mapped columns need now, so that parsing rows
        needs no database (the import parses in a second thread)."""
        for _index, spec in self.columns:
            if spec.kind == "company":
                self._company_id("")
            elif spec.kind == "owner":
                self._user("")
            elif spec.kind in ("pipeline", "stage", "category"):
                self._by_name(spec.kind, "")

    # lookups
    def _company_id(self, name: str) -> int | None:
        from crm.contacts.models import Company

        if self._companies is None:
            self._companies = {}
            base = visible_to(self.actor, Company) if self.actor is not None else Company.objects.all()
            for pk, company in base.order_by("pk").values_list("pk", "name").iterator(chunk_size=5000):
                key = company_name_key(company)
                # Two companies with the same key: the name alone cannot tell them apart.
                self._companies[key] = None if key in self._companies else pk
        return self._companies.get(company_name_key(name), 0)

    def _user(self, text: str):
        from django.contrib.auth import get_user_model

        if self._users is None:
            self._users = {}
            for user in get_user_model().objects.filter(is_active=True):
                for key in (user.username, user.email, getattr(user, "full_name", "")):
                    if key:
                        self._users.setdefault(key.casefold(), user)
        return self._users.get(clean_text(text).casefold())

    def _by_name(self, kind: str, text: str):
        if kind not in self._named:
            table: dict[str, object] = {}
            if kind in ("pipeline", "stage"):
                from crm.deals.models import Pipeline, Stage

                rows = Pipeline.objects.all() if kind == "pipeline" else Stage.objects.select_related("pipeline")
                for item in rows:
                    for name in (item.name_en, item.name_zh):
                        if name:
                            table.setdefault(name.casefold(), item)
            elif kind == "category":
                from crm.products.models import ProductCategory

                for item in ProductCategory.objects.all():
                    for attr in ("name", "name_en", "name_zh"):
                        name = getattr(item, attr, "")
                        if isinstance(name, str) and name:
                            table.setdefault(name.casefold(), item)
            self._named[kind] = table
        return self._named[kind].get(clean_text(text).casefold())

    def _choices(self, key: str):
        try:
            return self.model._meta.get_field(key).choices or []
        except FieldDoesNotExist:
            return []

    def parse(self, number: int, cells: list[str]) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        for index, spec in self.columns:
            raw = cells[index] if index < len(cells) else ""
            if not raw or not raw.strip():
                continue  # an empty cell leaves the field as it is (or empty on a new record)
            try:
                self._read(row, spec, raw)
            except cleaning.CellError:
                row.error(spec.key, self._cell_message(spec, raw))
        return row

    def _cell_message(self, spec: FieldSpec, raw: str) -> str:
        value = clean_text(raw)[:100]
        if spec.kind == "date":
            return _("“%(value)s” is not a date. Use 2026-01-31, 2026/1/31, 31.01.2026 or 2026年1月31日.") % {
                "value": value
            }
        if spec.kind in ("int", "decimal"):
            return _("“%(value)s” is not a number.") % {"value": value}
        if spec.kind == "bool":
            return _("“%(value)s” is not yes or no.") % {"value": value}
        if spec.kind == "choice":
            labels = ", ".join(str(label) for _value, label in self._choices(spec.key))
            return _("“%(value)s” is not one of: %(choices)s.") % {"value": value, "choices": labels}
        return _("“%(value)s” is not valid here.") % {"value": value}

    def _read(self, row: ParsedRow, spec: FieldSpec, raw: str) -> None:
        kind, key = spec.kind, spec.key
        if key == "external_id":
            row.external_id = clean_text(raw)[:100]
        elif kind == "custom":
            row.custom[key[3:]] = raw.strip()
        elif kind == "tags":
            row.tags = [t.strip() for t in raw.replace("，", ",").replace(";", ",").split(",") if t.strip()]
        elif kind == "phone":
            text = clean_text(raw)
            if self.run.phone_region != "CN":
                try:
                    text = phone_to_e164(text, self.run.phone_region)
                except ValueError:
                    pass  # the service gives the error message
            row.data[key] = text
        elif kind == "date":
            row.data[key] = cleaning.parse_date(raw)
        elif kind == "int":
            row.data[key] = cleaning.parse_int(raw)
        elif kind == "decimal":
            row.data[key] = cleaning.parse_decimal(raw)
        elif kind == "bool":
            row.data[key] = cleaning.parse_bool(raw)
        elif kind == "choice":
            row.data[key] = cleaning.parse_choice(raw, self._choices(key))
        elif kind == "company":
            from crm.contacts.models import Company

            pk = self._company_id(raw)
            if pk == 0:
                row.error(
                    key, _("There is no company “%(name)s”. Import the companies first.") % {"name": clean_text(raw)}
                )
            elif pk is None:
                row.error(key, _("More than one company is called “%(name)s”.") % {"name": clean_text(raw)})
            else:
                row.data[key] = Company(pk=pk)
                row.data[key]._state.adding = False
        elif kind == "owner":
            user = self._user(raw)
            if user is None:
                row.error(key, _("There is no active user “%(name)s”.") % {"name": clean_text(raw)})
            else:
                row.data[key] = user
        elif kind in ("pipeline", "stage", "category"):
            item = self._by_name(kind, raw)
            if item is None:
                row.error(key, _("There is no %(kind)s “%(name)s”.") % {"kind": spec.label, "name": clean_text(raw)})
            else:
                row.data[key] = item
        else:
            row.data[key] = raw.strip() if kind == "list" or key == "description" else clean_text(raw)


# Matching ----------------------------------------------------------------------------
class Matcher:
    def __init__(self, run: ImportRun, target: Target, actor):
        self.run = run
        self.target = target
        self.model = target.model
        self.actor = actor
        self.base = visible_to(actor, self.model) if actor is not None else self.model.objects.all()

    def key(self, row: ParsedRow) -> str:
        """The value the row is matched by, in its stored form ("" when it has none)."""
        if row.match_key is None:
            row.match_key = self._key(row)
        return row.match_key

    def _key(self, row: ParsedRow) -> str:
        on = self.run.match_on
        if on == MatchOn.EXTERNAL_ID:
            return row.external_id
        if on == MatchOn.NAME:
            name = row.data.get("name") or ""
            return company_name_key(name) if self.target.key == "companies" else clean_text(name).casefold()
        value = row.data.get(on) or ""
        if on == MatchOn.EMAIL:
            return str(value).strip().lower()
        if on == MatchOn.PHONE:
            try:
                return phone_to_e164(str(value))
            except ValueError:
                return ""
        if on == MatchOn.REGISTRATION_NUMBER:
            return str(value).replace(" ", "").upper()
        if on == MatchOn.SKU:
            return clean_text(str(value)).upper()
        return ""

    def find_many(self, keys: set[str]) -> dict[str, list[int]]:
        """Key -> ids of visible records with that key."""
        on = self.run.match_on
        keys = {k for k in keys if k}
        found: dict[str, list[int]] = {}
        if not keys or not on:
            return found
        if on == MatchOn.EXTERNAL_ID:
            pairs = ExternalId.objects.filter(record_type=self.target.key, external_id__in=keys).values_list(
                "external_id", "object_id"
            )
            visible = set(self.base.filter(pk__in=[p for _k, p in pairs]).values_list("pk", flat=True))
            for key, pk in pairs:
                if pk in visible:
                    found.setdefault(key, []).append(pk)
            return found
        if on == MatchOn.NAME and self.target.key == "companies":
            for pk, name in self.base.values_list("pk", "name").iterator(chunk_size=5000):
                key = company_name_key(name)
                if key in keys:
                    found.setdefault(key, []).append(pk)
            return found
        if on == MatchOn.NAME:
            for key in keys:
                for pk in self.base.filter(name__iexact=key).values_list("pk", flat=True):
                    found.setdefault(key, []).append(pk)
            return found
        column = on
        ordered = sorted(keys)
        step = 10_000 if connection.vendor == "postgresql" else 900  # SQLite: at most 999 parameters
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            for pk, value in self.base.filter(**{f"{column}__any_of": part}).values_list("pk", column):
                found.setdefault(value, []).append(pk)
        return found


# Applying rows -------------------------------------------------------------------------
def _json(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _before(instance, row: ParsedRow, tags: list[str] | None = None) -> dict:
    """The stored values of what this row changes, for undo. ``tags``: the record's tag
    names when the caller has read them already (the bulk path reads a chunk's at once)."""
    values: dict = {}
    for key in row.data:
        try:
            model_field = instance._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        values[model_field.attname] = _json(getattr(instance, model_field.attname))
    if row.custom:
        values["custom_fields"] = _json(instance.custom_fields or {})
    if row.tags is not None:
        values["tags"] = sorted(instance.tags.values_list("name", flat=True)) if tags is None else sorted(tags)
    return values


def _field_errors(exc: ServiceError) -> dict:
    fields = {}
    for key, messages in (exc.fields or {}).items():
        key = f"cf:{key[len('custom_fields.') :]}" if key.startswith("custom_fields.") else key
        key = {"owner_id": "owner", "company_id": "company"}.get(key, key)
        fields[key] = [str(m) for m in messages]
    if not fields:
        fields["__all__"] = [str(exc.message)]
    return fields


class ChunkWriter:
    """Applies the rows of one chunk through the record type's own services."""

    def __init__(self, run: ImportRun, target: Target, actor):
        self.run = run
        self.target = target
        self.actor = actor
        self.model = target.model
        self.reader = RowReader(run, target, actor)
        self.matcher = Matcher(run, target, actor)
        self.changes: list[ImportChange] = []
        self.external: list[ExternalId] = []

    def warm(self) -> None:
        """Read what prepare() needs from the database, in the thread that owns the
        transaction (prepare itself may run in another thread)."""
        self.reader.warm()

    def prepare(self, rows: list[tuple[int, list[str]]]) -> list[ParsedRow]:
        """The rows parsed and their match keys computed, without the database."""
        parsed = [self.reader.parse(number, cells) for number, cells in rows]
        for row in parsed:
            if not row.errors:
                self.matcher.key(row)
        return parsed

    def apply(self, rows: list[tuple[int, list[str]]]) -> list[Outcome]:
        return self.apply_prepared(self.prepare(rows))

    def apply_prepared(self, parsed: list[ParsedRow]) -> list[Outcome]:
        keys = {self.matcher.key(p) for p in parsed if not p.errors}
        found = self.matcher.find_many(keys)
        outcomes = []
        for row in parsed:
            outcomes.append(self.apply_row(row, found))
        return outcomes

    def _decide(self, row: ParsedRow, found: dict) -> tuple[str, int | None, str]:
        rule = self.run.match_rule
        key = self.matcher.key(row) if self.run.match_on else ""
        ids = found.get(key, []) if key else []
        if self.run.match_on and not key and rule == MatchRule.UPDATE:
            return "skipped", None, _("The row has no value to match by.")
        if len(ids) > 1:
            return "failed", None, _("More than one record matches this row.")
        if ids:
            if rule == MatchRule.CREATE:
                return "skipped", ids[0], _("A matching record exists.")
            return "update", ids[0], ""
        if rule == MatchRule.UPDATE:
            return "skipped", None, _("No record matches this row.")
        return "create", None, ""

    def _check_only(self, row: ParsedRow) -> None:
        """Run the service on a row that already failed, and roll back: its errors are
        added, so the user sees every problem of the row at once."""
        try:
            with transaction.atomic():
                self.target.create(actor=self.actor, data=row.data, custom_fields=row.custom or None, tags=row.tags)
                raise _Rollback()
        except _Rollback:
            pass
        except ServiceError as exc:
            for key, messages in _field_errors(exc).items():
                if key not in row.errors and key != "__all__":
                    row.errors[key] = messages

    def failed(self, row: ParsedRow) -> Outcome:
        self._check_only(row)
        return Outcome(row.number, "failed", errors=row.errors)

    def apply_row(self, row: ParsedRow, found: dict) -> Outcome:
        if row.errors:
            return self.failed(row)
        action, pk, message = self._decide(row, found)
        if action in ("skipped", "failed"):
            return Outcome(
                row.number, action, pk, errors={"__all__": [message]} if action == "failed" else {}, message=message
            )
        try:
            with transaction.atomic():
                if action == "create":
                    instance = self.target.create(
                        actor=self.actor, data=row.data, custom_fields=row.custom or None, tags=row.tags
                    )
                    change = ImportChange(run=self.run, row=row.number, action="created", object_id=instance.pk)
                else:
                    current = self.model.objects.filter(pk=pk).first()
                    if current is None:  # deleted since the chunk looked it up
                        return Outcome(row.number, "failed", pk, errors={"__all__": [_("No record matches this row.")]})
                    if self.actor is not None and not can_access(self.actor, current, "write"):
                        return Outcome(
                            row.number,
                            "failed",
                            pk,
                            errors={"__all__": [_("The matching record is not yours to change.")]},
                        )
                    if self.run.match_on == MatchOn.NAME:
                        # Matched by a similar name: the stored spelling stays.
                        row.data.pop("name", None)
                    before = _before(current, row)
                    version = current.version
                    instance = self.target.update(
                        instance=current,
                        actor=self.actor,
                        data=row.data,
                        custom_fields=row.custom or None,
                        tags=row.tags,
                    )
                    if instance.version == version:
                        return Outcome(row.number, "skipped", pk, message=_("Nothing to change."))
                    change = ImportChange(
                        run=self.run, row=row.number, action="updated", object_id=instance.pk, before=before
                    )
                change.version = getattr(instance, "version", 1)
                change.save()
                if row.external_id and action == "create":
                    ExternalId.objects.update_or_create(
                        record_type=self.target.key,
                        external_id=row.external_id,
                        defaults={"object_id": instance.pk, "run": self.run},
                    )
                # A later row of the same file with the same key updates this record.
                key = self.matcher.key(row)
                if key:
                    found[key] = [instance.pk]
        except ServiceError as exc:
            return Outcome(row.number, "failed", pk, errors=_field_errors(exc))
        return Outcome(row.number, "created" if action == "create" else "updated", instance.pk)


def _writer_for(run: ImportRun, target: Target, actor):
    if target.key == "contacts":
        from .bulk import ContactBulkWriter

        return ContactBulkWriter(run, target, actor)
    return ChunkWriter(run, target, actor)


def _run_actor(run: ImportRun):
    return run.created_by


def _save_outcomes(run: ImportRun, rows: dict[int, list[str]], outcomes: list[Outcome]) -> dict:
    counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    errors = []
    for outcome in outcomes:
        counts[outcome.action] += 1
        if outcome.action == "failed":
            errors.append(
                ImportRowError(run=run, row=outcome.number, values=rows[outcome.number], errors=outcome.errors)
            )
    if errors:
        ImportRowError.objects.bulk_create(errors, batch_size=500)
    return counts


class Superseded(Exception):
    """Another worker moved this run's checkpoint on: this one stops."""


def apply_chunk(
    run: ImportRun, writer, start: int, rows: list[tuple[int, list[str]]], prepared: list[ParsedRow] | None = None
) -> dict:
    """Apply one chunk and move the checkpoint, all in one transaction. ``prepared``:
    the chunk's rows as ``writer.prepare`` gave them, when that was done ahead."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.checkpoint != start or locked.status != ImportRun.Status.RUNNING:
            raise Superseded()
        if start == 0:
            audit_record(
                action=Action.CREATE,
                actor=_run_actor(run),
                object_repr=_("Import of %(file)s") % {"file": run.original_name},
                extra={
                    "import": run.pk,
                    "record_type": run.record_type,
                    "rows": run.total_rows,
                    "file": run.original_name,
                },
            )
        outcomes = writer.apply(rows) if prepared is None else writer.apply_prepared(prepared)
        counts = _save_outcomes(run, dict(rows), outcomes)
        ImportRun.objects.filter(pk=run.pk).update(
            checkpoint=start + len(rows),
            created_count=models.F("created_count") + counts["created"],
            updated_count=models.F("updated_count") + counts["updated"],
            skipped_count=models.F("skipped_count") + counts["skipped"],
            failed_count=models.F("failed_count") + counts["failed"],
        )
    return counts


def _chunks(run: ImportRun, skip: int, size: int) -> Iterator[tuple[int, list[tuple[int, list[str]]]]]:
    chunk: list[tuple[int, list[str]]] = []
    start = skip
    for index, item in enumerate(data_rows(run_path(run), table_info(run))):
        if index < skip:
            continue
        chunk.append(item)
        if len(chunk) >= size:
            yield start, chunk
            start += len(chunk)
            chunk = []
    if chunk:
        yield start, chunk


_END = "end"


class _Pickler(pickle.Pickler):
    """Records (a row's company or owner) cross the pipe as their type and id."""

    def persistent_id(self, obj):
        if isinstance(obj, models.Model) and obj.pk is not None:
            return (obj._meta.label, obj.pk)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, known: dict):
        super().__init__(file)
        self.known = known

    def persistent_load(self, pid):
        label, pk = pid
        instance = self.known.get(pid)
        if instance is None:
            from django.apps import apps

            instance = apps.get_model(label)(pk=pk)
            instance._state.adding = False
            self.known[pid] = instance
        return instance


_PACKED = ("number", "data", "custom", "tags", "external_id", "errors", "match_key", "values", "build_errors")


def _packed(row: ParsedRow) -> tuple:
    """What crosses the pipe of a prepared row: its fields as a tuple (a third of the
    pickling time of the dataclass); ``cells`` travel once, with the chunk's rows."""
    return tuple(getattr(row, name) for name in _PACKED)


def _unpacked(item: tuple, cells: list[str]) -> ParsedRow:
    return ParsedRow(cells=cells, **dict(zip(_PACKED, item, strict=True)))


def _prepare_in_child(run: ImportRun, writer, skip: int, size: int, out) -> None:
    """(In the forked child) prepare every chunk and write it to the pipe. Touches no
    database: the connections it inherited belong to the parent."""
    gc.disable()

    def send(item) -> None:
        # A pickler (and on the other side an unpickler) per chunk: their memos start empty.
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(item)
        out.flush()

    try:
        for start, rows in _chunks(run, skip, size):
            send((start, rows, [_packed(row) for row in writer.prepare(rows)]))
        send((_END, None, None))
    except FileProblem as problem:
        send(("file", problem.message, problem.code))
    except BaseException as exc:  # handed to the parent, which raises it
        send(("error", f"{type(exc).__name__}: {exc}", None))


def _prepared_chunks(run: ImportRun, writer, skip: int, size: int):
    """The chunks of the file from row ``skip`` on, each with its rows prepared
    (parsed and cleaned: ``writer.prepare``, which needs no database).

    With IMPORT_PREPARE_AHEAD, and more than one chunk to go, a forked child process
    prepares the chunks while this process writes them: the cleaning (pure Python) and
    the database writes use both cores instead of taking turns. The child is a plain
    fork, not multiprocessing (a Celery worker's process may not start multiprocessing
    children); it inherits the reader's lookup tables and sends each prepared chunk
    through a pipe, which also paces it (it waits while the pipe is full). An error in
    the child (a broken file) is raised here when its chunk's turn comes; if this
    process stops early the child is killed."""
    writer.warm()
    if not settings.IMPORT_PREPARE_AHEAD or not hasattr(os, "fork") or run.total_rows - skip <= size:
        for start, rows in _chunks(run, skip, size):
            yield start, rows, writer.prepare(rows)
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb", buffering=1 << 20) as out:
                _prepare_in_child(run, writer, skip, size, out)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    # The users, pipelines, stages and categories the reader found stand for
    # themselves again (companies come as stubs, as the reader makes them).
    known = {(user._meta.label, user.pk): user for user in (writer.reader._users or {}).values()}
    for table in writer.reader._named.values():
        for item in table.values():
            known[(item._meta.label, item.pk)] = item
    source = os.fdopen(read_end, "rb", buffering=1 << 20)

    def read():
        try:
            return _Unpickler(source, known).load()
        except EOFError:
            return ("ended", None, None)
        except BaseException as exc:  # handed to the caller, which raises it
            return ("error", f"{type(exc).__name__}: {exc}", None)

    # On PostgreSQL a thread of this process empties the pipe into a queue of a few
    # chunks, so the child works ahead while this thread waits for the server (which
    # releases the interpreter lock); without it the child stops at each full pipe. On
    # SQLite the writing is this process's own work and a second thread taking the
    # interpreter lock to unpickle only competes with it, so the chunks are read here,
    # as they are needed.
    stopping = threading.Event()
    receiver = None
    load = read
    if connection.vendor == "postgresql":
        ready: queue.Queue = queue.Queue(maxsize=PREPARED_CHUNKS_AHEAD)

        def receive() -> None:
            while not stopping.is_set():
                item = read()
                while not stopping.is_set():
                    try:
                        ready.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if item[0] in (_END, "file", "error", "ended"):
                    return

        receiver = threading.Thread(target=receive, name=f"import-{run.pk}-receive", daemon=True)
        receiver.start()
        load = ready.get
    try:
        while True:
            start, rows, prepared = load()
            if start == _END:
                return
            if start == "file":
                raise FileProblem(rows, code=prepared)
            if start == "ended":
                raise RuntimeError(
                    _("The process cleaning the rows stopped. Resume the import to go on from its last checkpoint.")
                )
            if start == "error":
                raise RuntimeError(_("The import stopped on an unexpected error: %(error)s") % {"error": rows})
            yield (
                start,
                rows,
                [_unpacked(item, cells) for item, (_number, cells) in zip(prepared, rows, strict=True)],
            )
    finally:
        stopping.set()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        if receiver is not None:
            receiver.join(timeout=5)
        source.close()


def import_start(*, run: ImportRun, actor, dry_run: bool = False) -> ImportRun:
    """Queue the run as a background job (it is then followed on its page)."""
    from crm.core.jobs import job_enqueue

    from .tasks import import_run_job

    if actor is not None and run.created_by_id != actor.pk and not actor.is_crm_admin:
        raise PermissionDeniedError()
    target = _require_target(run.record_type)
    _require_import_perm(actor, target)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in (ImportRun.Status.DRAFT, ImportRun.Status.FAILED):
            raise ConflictError(_("This import has already been started."))
        if not locked.mapping:
            raise ValidationFailed(fields={"mapping": [_("Map at least one column to a field.")]})
        job = job_enqueue(kind="import_run", task=import_run_job, user=actor, params={"run": locked.pk})
        locked.job = job
        locked.status = ImportRun.Status.QUEUED
        locked.dry_run = dry_run
        locked.message = ""
        locked.save(update_fields=["job", "status", "dry_run", "message"])
    run.refresh_from_db()
    return run


def _progress_message(run: ImportRun, done: int, started: float, first: int) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = (done - first) / elapsed
    left = (run.total_rows - done) / rate if rate > 0 else 0
    return _("%(done)s of %(total)s rows · %(errors)s errors · %(rate)s rows/s · about %(left)s s left") % {
        "done": f"{done:,}",
        "total": f"{run.total_rows:,}",
        "errors": f"{run.failed_count:,}",
        "rate": f"{rate:,.0f}",
        "left": f"{left:,.0f}",
    }


def import_execute(*, run: ImportRun, progress=None, chunk_rows: int | None = None) -> ImportRun:
    """Apply the run from its checkpoint to the end (the job body and the command).

    Safe to call again after a crash: it resumes after the last committed chunk."""
    target = _require_target(run.record_type)
    actor = _run_actor(run)
    size = chunk_rows or settings.IMPORT_CHUNK_ROWS
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_finished and locked.status != ImportRun.Status.FAILED:
            return locked
        locked.status = ImportRun.Status.RUNNING
        locked.started_at = locked.started_at or timezone.now()
        locked.save(update_fields=["status", "started_at"])
    run.refresh_from_db()
    if run.dry_run:
        return _dry_run(run, target, actor, size, progress)
    writer = _writer_for(run, target, actor)
    started, first = time.monotonic(), run.checkpoint
    analyzed_at = run.created_count
    try:
        with _fewer_collections():
            for start, rows, prepared in _prepared_chunks(run, writer, run.checkpoint, size):
                apply_chunk(run, writer, start, rows, prepared)
                run.refresh_from_db()
                if _should_analyze(run.created_count, analyzed_at):
                    _analyze(target.model)
                    analyzed_at = run.created_count
                if progress is not None:
                    progress(
                        run.checkpoint,
                        total=run.total_rows,
                        message=_progress_message(run, run.checkpoint, started, first),
                    )
    except Superseded:
        run.refresh_from_db()
        return run
    except FileProblem as problem:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, message=problem.message)
        run.refresh_from_db()
        return run
    finished = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
        status=ImportRun.Status.DONE, finished_at=timezone.now()
    )
    run.refresh_from_db()
    if finished:
        import_discard_file(run)  # every row is applied or recorded as refused: the upload is not needed
    if run.created_count > 10_000:
        _analyze(target.model)
    return run


@contextlib.contextmanager
def _fewer_collections():
    """A chunk makes hundreds of thousands of short-lived objects and keeps few: the
    cyclic garbage collector, run every 700 allocations by default and scanning the
    whole heap now and then, took a tenth of a large import. Objects alive before the
    run are set aside (gc.freeze) and collections are rarer until it ends."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _should_analyze(created: int, analyzed_at: int) -> bool:
    """PostgreSQL plans each chunk's matching query (2,000 keys) from the table's
    statistics; a table that grew from nothing during the import still looks empty to
    it, and the lookups turn into scans that grew to 200 ms a chunk at 400,000 rows.
    So the statistics are refreshed as the import doubles what it created (from 10,000
    rows on: seven ANALYZE runs for a million rows, each a sample of at most 30,000
    rows). SQLite's planner uses the index for these lookups without statistics."""
    return connection.vendor == "postgresql" and created >= max(10_000, 2 * analyzed_at)


def _analyze(model) -> None:
    """Fresh planner statistics for the table a large import filled (SQLite keeps none
    until ANALYZE runs, and a stale plan turns a list page from milliseconds into seconds;
    see crm.core.services.database_optimize). Only this table: cheap, and no VACUUM."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _dry_run(run: ImportRun, target: Target, actor, size: int, progress) -> ImportRun:
    """Every chunk applied and rolled back: the counts and errors a real run would give
    (rows repeating a key of an earlier chunk are counted as new)."""
    totals = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    errors: list[ImportRowError] = []
    done = 0
    started = time.monotonic()
    for _start, rows in _chunks(run, 0, size):
        writer = _writer_for(run, target, actor)
        try:
            with transaction.atomic():
                outcomes = writer.apply(rows)
                raise _Rollback(outcomes)
        except _Rollback as rollback:
            outcomes = rollback.args[0]
        by_row = dict(rows)
        for outcome in outcomes:
            totals[outcome.action] += 1
            if outcome.action == "failed":
                errors.append(
                    ImportRowError(run=run, row=outcome.number, values=by_row[outcome.number], errors=outcome.errors)
                )
        done += len(rows)
        if progress is not None:
            progress(done, total=run.total_rows, message=_progress_message(run, done, started, 0))
    with transaction.atomic():
        ImportRowError.objects.filter(run=run).delete()
        ImportRowError.objects.bulk_create(errors, batch_size=500)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.DONE,
            checkpoint=done,
            created_count=totals["created"],
            updated_count=totals["updated"],
            skipped_count=totals["skipped"],
            failed_count=totals["failed"],
            finished_at=timezone.now(),
            message=_("Dry run: nothing was saved."),
        )
    run.refresh_from_db()
    return run


# Preview -----------------------------------------------------------------------------
def import_preview(*, run: ImportRun, actor, limit: int = PREVIEW_ROWS) -> list[dict]:
    """The first rows as they would be stored, with their errors, written and rolled back
    in one transaction so the preview applies exactly the rules of the real run."""
    target = _require_target(run.record_type)
    rows = []
    for item in data_rows(run_path(run), table_info(run)):
        rows.append(item)
        if len(rows) >= limit:
            break
    writer = ChunkWriter(run, target, actor)
    specs = {s.key: s for s in all_field_specs(target)}
    result: list[dict] = []
    try:
        with transaction.atomic():
            outcomes = writer.apply(rows)
            for (_number, cells), outcome in zip(rows, outcomes, strict=True):
                stored = {}
                if outcome.object_id and outcome.action in ("created", "updated"):
                    instance = target.model.all_objects.filter(pk=outcome.object_id).first()
                    for key in run.mapping.values():
                        stored[key] = _display(instance, key)
                result.append(_preview_row(run, specs, cells, outcome, stored))
            raise _Rollback()
    except _Rollback:
        pass
    return result


def _display(instance, key: str) -> str:
    if instance is None:
        return ""
    if key.startswith("cf:"):
        value = (instance.custom_fields or {}).get(key[3:])
        return ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    if key == "tags":
        return ", ".join(sorted(instance.tags.values_list("name", flat=True)))
    if key == "external_id":
        return ""
    value = getattr(instance, key, "")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    display = getattr(instance, f"get_{key}_display", None)
    if callable(display):
        return str(display())
    return "" if value is None else str(value)


def _preview_row(run: ImportRun, specs: dict, cells: list[str], outcome: Outcome, stored: dict) -> dict:
    columns = []
    placed: set[str] = set()
    for index, header in enumerate(run.headers):
        key = run.mapping.get(str(index), "")
        errors = outcome.errors.get(key, []) if key else []
        if errors:
            placed.add(key)
        raw = cells[index] if index < len(cells) else ""
        columns.append(
            {
                "column": header,
                "field": key,
                "raw": raw,
                "value": stored.get(key, raw if key == "external_id" else "") if key else "",
                "errors": errors,
            }
        )
    other = [m for k, msgs in outcome.errors.items() if k not in placed for m in msgs]
    return {
        "row": outcome.number,
        "action": outcome.action,
        "cells": columns,
        "errors": other,
        "message": outcome.message,
    }


# Errors file ------------------------------------------------------------------------------
def import_error_rows(run: ImportRun) -> tuple[list[str], Iterator[list]]:
    """The refused rows as the user uploaded them, with a column saying why; written by
    crm.core.exports, so cells a spreadsheet would run as formulas are neutralised."""
    header = [_("Row"), *run.headers, _("Errors")]
    specs = {}
    target = target_for(run.record_type)
    if target is not None:
        specs = {s.key: str(s.label) for s in all_field_specs(target)}

    def rows():
        for error in run.row_errors.order_by("row").iterator(chunk_size=2000):
            why = "; ".join(
                f"{specs.get(key, key) if key != '__all__' else _('Row')}: {' '.join(messages)}"
                for key, messages in error.errors.items()
            )
            yield [error.row, *error.values, why]

    return header, rows()


# Undo ------------------------------------------------------------------------------------
def _to_python(model, values: dict) -> dict:
    data = {}
    for attname, value in values.items():
        if attname in ("custom_fields", "tags"):
            continue
        model_field = next((f for f in model._meta.concrete_fields if f.attname == attname), None)
        if model_field is None:
            continue
        data[attname] = model_field.to_python(value) if value is not None else None
    return data


def import_undo(*, run: ImportRun, actor) -> dict:
    """Take back an import: delete what it created and put back the previous values of
    what it updated, in one transaction. Refused (nothing is changed) when any of those
    records was changed since the import wrote it (its version moved on)."""
    if actor is not None and run.created_by_id != actor.pk and not actor.is_crm_admin:
        raise PermissionDeniedError()
    if run.status == ImportRun.Status.UNDONE:
        raise ConflictError(_("This import has already been undone."))
    if run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING):
        raise ConflictError(_("Wait for the import to finish (or fail) before undoing it."))
    if run.dry_run:
        raise ConflictError(_("A dry run saved nothing, so there is nothing to undo."))
    target = _require_target(run.record_type)
    model = target.model
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == ImportRun.Status.UNDONE:
            raise ConflictError(_("This import has already been undone."))
        changed: list[int] = []
        created: list[int] = []
        restore: dict[int, ImportChange] = {}  # object id -> its first update by this import
        latest_seen: set[int] = set()
        changes = locked.changes.order_by("-row", "-id")
        for start in range(0, 10**12, 5000):
            part = list(changes[start : start + 5000])
            if not part:
                break
            versions = dict(
                model.all_objects.select_for_update()
                .filter(pk__in=[c.object_id for c in part])
                .values_list("pk", "version")
            )
            for change in part:
                pk = change.object_id
                if pk not in latest_seen:
                    # The import's last write to this record must still be its current state.
                    latest_seen.add(pk)
                    current = versions.get(pk)
                    if (current is None and change.action == "updated") or (
                        current is not None and current != change.version
                    ):
                        changed.append(pk)
                if change.action == "created":
                    created.append(pk)
                else:
                    restore[pk] = change  # rows come latest first, so the first update wins
        if changed:
            names = list(model.all_objects.filter(pk__in=changed[:5]))
            records = ", ".join(str(r) for r in names) or ", ".join(map(str, changed[:5]))
            raise ConflictError(
                ngettext(
                    "%(count)s record was changed after the import (%(records)s), so nothing was undone.",
                    "%(count)s records were changed after the import (%(records)s), so nothing was undone.",
                    len(changed),
                )
                % {"count": len(changed), "records": records}
            )
        created_set = set(created)
        seen: set[int] = set()
        for pk, change in restore.items():
            if pk in created_set:
                continue  # created by this import too: deleted below
            instance = model.all_objects.get(pk=pk)
            before = change.before or {}
            target.update(
                instance=instance,
                actor=actor,
                data=_to_python(model, before),
                custom_fields=before.get("custom_fields"),
                tags=before.get("tags"),
            )
            seen.add(pk)
        created = list(dict.fromkeys(created))
        if created:
            from crm.core.services import require_perm

            require_perm(actor, model, "delete")
        deleted = 0
        for start in range(0, len(created), 2000):
            part = created[start : start + 2000]
            deleted += model.all_objects.filter(pk__in=part).delete()[1].get(model._meta.label, 0)
        ExternalId.objects.filter(run=locked).delete()
        audit_record(
            action=Action.DELETE,
            actor=actor,
            object_repr=_("Undo of the import of %(file)s") % {"file": locked.original_name},
            extra={"import": locked.pk, "record_type": locked.record_type, "deleted": deleted, "restored": len(seen)},
        )
        ImportRun.objects.filter(pk=locked.pk).update(status=ImportRun.Status.UNDONE, undone_at=timezone.now())
    run.refresh_from_db()
    return {"deleted": deleted, "restored": len(seen)}


def import_discard_file(run: ImportRun) -> None:
    run_path(run).unlink(missing_ok=True)
