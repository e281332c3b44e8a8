"""The bulk path for new contacts: the rules of ``contact_create`` without a round trip per row.

``contact_create`` normalises and applies the consent rule
(crm.contacts.services.contact_new_data: half-width text, E.164 phones, checked
lower-case e-mails, consent dates), and ``record_create`` then checks permission and links,
validates custom fields and the model (``full_clean``), saves, tags and audits. Here
the same functions run per row in memory, and the chunk's new contacts go in with
multi-row INSERTs (their search text included, as ``webform_submit`` does), tags and
ImportChange rows with one more INSERT each. Instead of one audit row per contact the
import has one audit row (written with its first chunk) and an ImportChange row per
contact, in the same transaction as the contact. Rows that match an existing record,
or a contact created earlier in the same chunk, go through ``contact_update`` after
the insert, with its usual audit row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.core.customfields import clean_custom_values, custom_fields_for
from crm.core.errors import ServiceError, ValidationFailed
from crm.core.models import Tag

from .models import ExternalId, ImportChange
from .services import ChunkWriter, Outcome, ParsedRow, _field_errors

# Not validated again here: links resolved from rows just read (visible companies,
# active users), and the columns the import never writes.
_TRUSTED = {"company", "owner", "deleted_by", "search_text", "tags"}
_ROWS_PER_STATEMENT = 500


def _insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY on PostgreSQL, else one prepared INSERT for many rows."""
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Table and column names come from the models, never from input.
            statement = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(rows), _ROWS_PER_STATEMENT):
                cursor.executemany(sql, rows[start : start + _ROWS_PER_STATEMENT])


def _new_ids(model, count: int) -> list[int]:
    """Ids for rows about to be inserted, taken from the table's own sequence so no
    other writer can get them (PostgreSQL), or after the largest id ever given while
    this transaction holds SQLite's write lock."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        largest = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone():
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            largest = max(largest, seq[0] if seq else 0)
        return list(range(largest + 1, largest + 1 + count))


class ContactBulkWriter(ChunkWriter):
    def __init__(self, run, target, actor):
        super().__init__(run, target, actor)
        self.custom_defined = bool(custom_fields_for(Contact))
        self._tag_ids: dict[str, int] = {}
        if actor is not None:
            from crm.core.services import require_perm

            require_perm(actor, Contact, "add")
        self.fields = {f.name: f for f in Contact._meta.concrete_fields if f.name != "id"}
        # Fields whose empty default is not valid (the name): checked even when the row has no value.
        self.always_checked = [
            n for n, f in self.fields.items() if not f.blank and not f.has_default() and n not in _TRUSTED
        ]

    def _tag_id(self, name: str) -> int:
        name = name.strip()[:60]
        if name not in self._tag_ids:
            self._tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk
        return self._tag_ids[name]

    def _check_only(self, row: ParsedRow) -> None:
        try:
            self._build(row)
        except ServiceError as exc:
            for key, messages in _field_errors(exc).items():
                if key not in row.errors and key != "__all__":
                    row.errors[key] = messages

    def _build(self, row: ParsedRow) -> dict:
        """The field values contact_create would save for this row (raises ServiceError):
        the same normalisation and consent rule, custom fields validated, and each field
        given a value validated as full_clean validates it (the defaults of the others
        are valid by definition)."""
        data = contacts.contact_new_data(row.data)
        if self.custom_defined or row.custom:
            data["custom_fields"] = clean_custom_values(Contact, row.custom)
        errors: dict[str, list[str]] = {}
        for name in {*data, *self.always_checked}:
            model_field = self.fields.get(name)
            if model_field is None:
                errors.setdefault(name, []).append(_unknown_field())
                continue
            if name in _TRUSTED:
                continue
            value = data.get(name, model_field.get_default())
            try:
                data[name] = model_field.clean(value, None)
            except ValidationError as exc:
                errors[name] = [str(m) for m in exc.messages]
        if errors:
            raise ValidationFailed(fields=errors)
        data["search_text"] = contacts.contact_search_text(
            name=data.get("name", ""),
            title=data.get("title", ""),
            email=data.get("email", ""),
            emails=data.get("emails", ()),
            phone=data.get("phone", ""),
            phones=data.get("phones", ()),
        )
        return data

    def _defaults(self) -> dict:
        """Every column's stored value for a new contact with nothing set (once a chunk:
        created_at and updated_at are the chunk's time)."""
        blank = Contact()
        if self.actor is not None:
            blank.owner = self.actor
        values = {}
        for name, model_field in self.fields.items():
            values[name] = model_field.get_db_prep_save(model_field.pre_save(blank, add=True), connection)
        return values

    def _insert(self, built: list[dict]) -> list[int]:
        ids = _new_ids(Contact, len(built))
        defaults = self._defaults()
        names = list(self.fields)
        rows = []
        for pk, data in zip(ids, built, strict=True):
            values = dict(defaults)
            for name, value in data.items():
                model_field = self.fields[name]
                if model_field.is_relation:
                    value = value.pk if value is not None else None
                    values[name] = value
                else:
                    values[name] = model_field.get_db_prep_save(value, connection)
            rows.append((pk, *(values[n] for n in names)))
        _insert_rows(Contact._meta.db_table, ["id", *(self.fields[n].column for n in names)], rows)
        return ids

    def apply(self, rows: list[tuple[int, list[str]]]) -> list[Outcome]:
        parsed = [self.reader.parse(number, cells) for number, cells in rows]
        found = self.matcher.find_many({self.matcher.key(p) for p in parsed if not p.errors})
        outcomes: dict[int, Outcome] = {}
        new: list[tuple[ParsedRow, dict]] = []
        later: list[ParsedRow] = []
        pending: dict[str, int] = {}  # match key -> index in new
        repeats: list[tuple[ParsedRow, int]] = []
        for row in parsed:
            if row.errors:
                outcomes[row.number] = self.failed(row)
                continue
            key = self.matcher.key(row) if self.run.match_on else ""
            if key and key in pending:
                # Repeats a contact this chunk creates: what an update right after the
                # create would store (the later row's non-empty cells win), validated again.
                index = pending[key]
                first, _data = new[index]
                merged = ParsedRow(
                    number=first.number,
                    cells=first.cells,
                    data={**first.data, **row.data},
                    custom={**first.custom, **row.custom},
                    tags=row.tags if row.tags is not None else first.tags,
                    external_id=first.external_id,
                    match_key=key,
                )
                try:
                    new[index] = (merged, self._build(merged))
                except ServiceError as exc:
                    outcomes[row.number] = Outcome(row.number, "failed", errors=_field_errors(exc))
                    continue
                repeats.append((row, index))
                continue
            action, pk, message = self._decide(row, found)
            if action != "create":
                if action == "update":
                    later.append(row)
                else:
                    errors = {"__all__": [message]} if action == "failed" else {}
                    outcomes[row.number] = Outcome(row.number, action, pk, errors=errors, message=message)
                continue
            try:
                new.append((row, self._build(row)))
            except ServiceError as exc:
                outcomes[row.number] = Outcome(row.number, "failed", errors=_field_errors(exc))
                continue
            if key:
                pending[key] = len(new) - 1
        if new:
            ids = self._insert([data for _row, data in new])
            changes, links, external = [], [], []
            for (row, _data), pk in zip(new, ids, strict=True):
                outcomes[row.number] = Outcome(row.number, "created", pk)
                changes.append((self.run.pk, row.number, "created", pk, None, 1))
                for name in row.tags or []:
                    links.append((pk, self._tag_id(name)))
                if row.external_id:
                    external.append(
                        ExternalId(record_type="contacts", external_id=row.external_id, object_id=pk, run=self.run)
                    )
                key = self.matcher.key(row) if self.run.match_on else ""
                if key:
                    found[key] = [pk]
            for row, index in repeats:
                pk = ids[index]
                outcomes[row.number] = Outcome(row.number, "updated", pk)
                changes.append((self.run.pk, row.number, "updated", pk, None, 1))
            _insert_rows(
                ImportChange._meta.db_table, ["run_id", "row", "action", "object_id", "before", "version"], changes
            )
            if links:
                _insert_rows(Contact.tags.through._meta.db_table, ["contact_id", "tag_id"], list(dict.fromkeys(links)))
            if external:
                ExternalId.objects.bulk_create(external, batch_size=1000, ignore_conflicts=True)
        for row in later:
            outcomes[row.number] = self.apply_row(row, found)
        return [outcomes[row.number] for row in parsed]


def _unknown_field() -> str:
    from django.utils.translation import gettext as _

    return _("This field cannot be set.")
