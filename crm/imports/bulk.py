"""The bulk path for contacts: the rules of ``contact_create`` and ``contact_update``
without a round trip per row.

``contact_create`` normalises and applies the consent rule
(crm.contacts.services.contact_new_data: half-width text, E.164 phones, checked
lower-case e-mails, consent dates), and ``record_create`` then checks permission and links,
validates custom fields and the model (``full_clean``), saves, tags and audits. Here
the same functions run per row in memory (``prepare``, which needs no database and
runs a chunk ahead in a second thread), and the chunk's new contacts go in with COPY
(PostgreSQL) or multi-row INSERTs (SQLite), their search text included, tags and
ImportChange rows with one more statement each. Instead of one audit row per contact the
import has one audit row (written with its first chunk) and an ImportChange row per
contact, in the same transaction as the contact.

Rows that match an existing contact are updated by the rules of ``contact_update``
(crm.contacts.services.contact_update_data for normalisation and consent, then what
``record_update`` does: the rows locked, write permission, the changed fields
validated, the diff, version and search text, one audit row per changed contact),
with one SELECT ... FOR UPDATE for the chunk and the writes batched.
"""

from __future__ import annotations

import copy
import json

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.models import AuditEntry
from crm.audit.services import Action, audit_entry, diff, snapshot
from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.core.customfields import clean_custom_values, custom_fields_for
from crm.core.errors import ServiceError, ValidationFailed
from crm.core.models import Tag
from crm.core.visibility import visible_to

from .models import ExternalId, ImportChange, MatchOn
from .services import ChunkWriter, Outcome, ParsedRow, _before, _field_errors

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


def _copy_value(model_field, value):
    """The value to write for ``model_field``: get_db_prep_save's, except that a JSON
    value on PostgreSQL is its JSON text, which COPY takes as it is, rather than a
    wrapper that the COPY would serialise in the writing process, once a row."""
    if connection.vendor == "postgresql" and isinstance(model_field, models.JSONField) and value is not None:
        return json.dumps(model_field.get_prep_value(value), cls=model_field.encoder)
    return model_field.get_db_prep_save(value, connection)


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
        self.custom_definitions = custom_fields_for(Contact)
        self._tag_ids: dict[str, int] = {}
        if actor is not None:
            from crm.core.services import require_perm

            require_perm(actor, Contact, "add")
        self.fields = {f.name: f for f in Contact._meta.concrete_fields if f.name != "id"}
        self.names = list(self.fields)
        self.position = {name: index for index, name in enumerate(self.names)}
        # Text columns store a str as it is (get_db_prep_save returns it unchanged).
        self.plain_text = {
            name
            for name, f in self.fields.items()
            if isinstance(f, models.CharField | models.TextField) and not f.is_relation
        }
        # Values each field accepted already (names, titles and the like repeat): str
        # values of text fields, which cleaning returns unchanged.
        self._accepted: set[tuple[str, str]] = set()
        # The e-mail was checked by the normaliser with this same validator.
        self.skip_validators = {"email": [validate_email]}
        # Fields whose empty default is not valid (the name): checked even when the row has no value.
        self.always_checked = [
            n for n, f in self.fields.items() if not f.blank and not f.has_default() and n not in _TRUSTED
        ]

    def _tag_id(self, name: str) -> int:
        name = name.strip()[:60]
        if name not in self._tag_ids:
            self._tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk
        return self._tag_ids[name]

    # Without the database (prepare runs in the import's second thread) ----------------
    def prepare(self, rows: list[tuple[int, list[str]]]) -> list[ParsedRow]:
        """Each row parsed and built as a new contact (its column values ready for the
        INSERT), or with every error that refuses it."""
        parsed = super().prepare(rows)
        defaults = self._defaults()
        defaults = [defaults[n] for n in self.names]
        for row in parsed:
            if row.errors:
                self._check_only(row)
                continue
            try:
                built = self._build(row)
            except ServiceError as exc:
                row.build_errors = _field_errors(exc)
                continue
            row.values = self._values(built, defaults)
        return parsed

    def _check_only(self, row: ParsedRow) -> None:
        try:
            self._build(row)
        except ServiceError as exc:
            for key, messages in _field_errors(exc).items():
                if key not in row.errors and key != "__all__":
                    row.errors[key] = messages

    def _validated(self, data: dict, names) -> dict:
        """``data`` with the fields ``names`` validated as full_clean validates them
        (raises ValidationFailed with every field's errors)."""
        errors: dict[str, list[str]] = {}
        for name in names:
            model_field = self.fields.get(name)
            if model_field is None:
                errors.setdefault(name, []).append(_unknown_field())
                continue
            if name in _TRUSTED:
                continue
            value = data.get(name, model_field.get_default())
            plain = name in self.plain_text and name not in self.skip_validators and isinstance(value, str)
            if plain and (name, value) in self._accepted:
                continue
            try:
                data[name] = self._clean(name, model_field, value)
            except ValidationError as exc:
                errors[name] = [str(m) for m in exc.messages]
                continue
            if plain and len(value) < 100:
                if len(self._accepted) > 200_000:
                    self._accepted.clear()
                self._accepted.add((name, value))
        if errors:
            raise ValidationFailed(fields=errors)
        return data

    def _clean(self, name: str, model_field, value):
        """Field.clean (to_python, validate, the validators), without the validators
        the normaliser already ran on this field."""
        skipped = self.skip_validators.get(name)
        if not skipped:
            return model_field.clean(value, None)
        value = model_field.to_python(value)
        model_field.validate(value, None)
        if value not in model_field.empty_values:
            errors = []
            for validator in model_field.validators:
                if validator in skipped:
                    continue
                try:
                    validator(value)
                except ValidationError as exc:
                    errors.extend(exc.error_list)
            if errors:
                raise ValidationError(errors)
        return value

    def _build(self, row: ParsedRow) -> dict:
        """The field values contact_create would save for this row (raises ServiceError):
        the same normalisation and consent rule, custom fields validated, and each field
        given a value validated as full_clean validates it (the defaults of the others
        are valid by definition)."""
        data = contacts.contact_new_data(row.data)
        if self.custom_definitions or row.custom:
            data["custom_fields"] = clean_custom_values(Contact, row.custom, definitions=self.custom_definitions)
        data = self._validated(data, {*data, *self.always_checked})
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
            values[name] = _copy_value(model_field, model_field.pre_save(blank, add=True))
        return values

    def _values(self, data: dict, defaults: dict) -> tuple:
        """The row's column values in the order of ``self.names`` (all but id)."""
        values = [defaults[n] for n in self.names] if isinstance(defaults, dict) else list(defaults)
        position, plain = self.position, self.plain_text
        for name, value in data.items():
            if name in plain and isinstance(value, str):
                values[position[name]] = value
                continue
            model_field = self.fields[name]
            if model_field.is_relation:
                values[position[name]] = value.pk if value is not None else None
            else:
                values[position[name]] = _copy_value(model_field, value)
        return tuple(values)

    # In the chunk's transaction ------------------------------------------------------
    def _insert(self, values: list[tuple]) -> list[int]:
        ids = _new_ids(Contact, len(values))
        rows = [(pk, *row) for pk, row in zip(ids, values, strict=True)]
        _insert_rows(Contact._meta.db_table, ["id", *(self.fields[n].column for n in self.names)], rows)
        return ids

    def failed(self, row: ParsedRow) -> Outcome:
        return Outcome(row.number, "failed", errors=row.errors)  # prepare() added every error

    def apply_prepared(self, parsed: list[ParsedRow]) -> list[Outcome]:
        found = self.matcher.find_many({self.matcher.key(p) for p in parsed if not p.errors})
        outcomes: dict[int, Outcome] = {}
        new: list[ParsedRow] = []
        later: list[tuple[ParsedRow, int]] = []
        pending: dict[str, int] = {}  # match key -> index in new
        repeats: list[tuple[ParsedRow, int]] = []
        defaults = None
        for row in parsed:
            if row.errors:
                outcomes[row.number] = self.failed(row)
                continue
            key = self.matcher.key(row) if self.run.match_on else ""
            if key and key in pending:
                # Repeats a contact this chunk creates: what an update right after the
                # create would store (the later row's non-empty cells win), validated again.
                index = pending[key]
                first = new[index]
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
                    built = self._build(merged)
                except ServiceError as exc:
                    outcomes[row.number] = Outcome(row.number, "failed", errors=_field_errors(exc))
                    continue
                defaults = defaults or self._defaults()
                merged.values = self._values(built, defaults)
                new[index] = merged
                repeats.append((row, index))
                continue
            action, pk, message = self._decide(row, found)
            if action != "create":
                if action == "update":
                    later.append((row, pk))
                else:
                    errors = {"__all__": [message]} if action == "failed" else {}
                    outcomes[row.number] = Outcome(row.number, action, pk, errors=errors, message=message)
                continue
            if row.build_errors is not None:
                outcomes[row.number] = Outcome(row.number, "failed", errors=row.build_errors)
                continue
            new.append(row)
            if key:
                pending[key] = len(new) - 1
        if new:
            self._create(new, repeats, outcomes, found)
        if later:
            self._update(later, outcomes)
        return [outcomes[row.number] for row in parsed]

    def _create(self, new: list[ParsedRow], repeats, outcomes: dict, found: dict) -> None:
        ids = self._insert([row.values for row in new])
        changes, links, external = [], [], []
        for row, pk in zip(new, ids, strict=True):
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

    def _update(self, later: list[tuple[ParsedRow, int]], outcomes: dict) -> None:
        """The rows matching existing contacts, by contact_update's rules, in order (two
        rows matching one contact update it twice, as one by one would)."""
        if self.actor is not None:
            from crm.core.services import require_perm

            try:
                require_perm(self.actor, Contact, "change")
            except ServiceError as exc:
                for row, pk in later:
                    outcomes[row.number] = Outcome(row.number, "failed", pk, errors=_field_errors(exc))
                return
        ids = sorted({pk for _row, pk in later})
        writable = visible_to(self.actor, Contact, "write") if self.actor is not None else Contact.objects.all()
        locked = {c.pk: c for c in writable.select_for_update().filter(pk__in=ids).order_by("pk")}
        present = set(Contact.objects.filter(pk__in=set(ids) - set(locked)).values_list("pk", flat=True))
        tags_of: dict[int, list[str]] = {}
        if any(row.tags is not None for row, _pk in later):
            through = Contact.tags.through
            for contact_id, name in through.objects.filter(contact_id__in=list(locked)).values_list(
                "contact_id", "tag__name"
            ):
                tags_of.setdefault(contact_id, []).append(name)
        now = timezone.now()
        changed: dict[int, Contact] = {}
        entries: list[AuditEntry] = []
        changes: list[ImportChange] = []
        new_tags: dict[int, list[str]] = {}
        for row, pk in later:
            current = changed.get(pk) or locked.get(pk)
            if current is None:
                message = (
                    _("The matching record is not yours to change.")
                    if pk in present
                    else _("No record matches this row.")  # deleted since the chunk looked it up
                )
                outcomes[row.number] = Outcome(row.number, "failed", pk, errors={"__all__": [message]})
                continue
            if self.run.match_on == MatchOn.NAME:
                row.data.pop("name", None)  # matched by a similar name: the stored spelling stays
            try:
                instance, audit_changes, tag_names = self._updated(current, row, sorted(tags_of.get(pk, [])))
            except ServiceError as exc:
                outcomes[row.number] = Outcome(row.number, "failed", pk, errors=_field_errors(exc))
                continue
            if not audit_changes:
                outcomes[row.number] = Outcome(row.number, "skipped", pk, message=_("Nothing to change."))
                continue
            before = _before(current, row, tags=tags_of.get(pk, []))
            instance.version = current.version + 1
            instance.updated_at = now
            instance.search_text = contacts.contact_search_text(
                name=instance.name,
                title=instance.title,
                email=instance.email,
                emails=instance.emails,
                phone=instance.phone,
                phones=instance.phones,
            )
            changed[pk] = instance
            if tag_names is not None:
                new_tags[pk] = tag_names
                tags_of[pk] = tag_names
            entries.append(
                audit_entry(action=Action.UPDATE, actor=self.actor, instance=instance, changes=audit_changes)
            )
            changes.append(
                ImportChange(
                    run=self.run,
                    row=row.number,
                    action="updated",
                    object_id=pk,
                    before=before,
                    version=instance.version,
                )
            )
            outcomes[row.number] = Outcome(row.number, "updated", pk)
        if not changed:
            return
        names = [n for n in self.names if n != "created_at"]
        columns = ", ".join(f"{connection.ops.quote_name(self.fields[n].column)} = %s" for n in names)
        table = connection.ops.quote_name(Contact._meta.db_table)
        rows = []
        for pk, instance in changed.items():
            values = []
            for name in names:
                model_field = self.fields[name]
                values.append(model_field.get_db_prep_save(getattr(instance, model_field.attname), connection))
            rows.append((*values, pk))
        with connection.cursor() as cursor:
            # Table and column names come from the model, never from input.
            cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", rows)  # noqa: S608
        for pk, tag_names in new_tags.items():
            changed[pk].tags.set([self._tag_id(name) for name in tag_names])
        AuditEntry.objects.bulk_create(entries, batch_size=500)
        ImportChange.objects.bulk_create(changes, batch_size=1000)

    def _updated(self, current: Contact, row: ParsedRow, tags_before: list[str]):
        """(the contact as contact_update would leave it, unsaved; the audit changes;
        the new tag names or None). Raises ServiceError for a value it would refuse."""
        stored = {name: getattr(current, name) for name in contacts.CONSENT_FIELDS}
        data = contacts.contact_update_data(row.data, stored)
        before = snapshot(current)
        instance = copy.copy(current)
        instance._state = copy.copy(current._state)
        for name, value in data.items():
            setattr(instance, name, value)
        checked = set(data)
        if row.custom:
            instance.custom_fields = clean_custom_values(
                Contact, row.custom, existing=before.get("custom_fields"), definitions=self.custom_definitions
            )
        values = {name: getattr(instance, name) for name in checked if name in self.fields}
        values = self._validated(values, checked)
        for name, value in values.items():
            setattr(instance, name, value)
        audit_changes = diff(before, snapshot(instance))
        tag_names = None
        if row.tags is not None:
            names = sorted({t.strip()[:60] for t in row.tags if t and t.strip()})
            if names != tags_before:
                tag_names = names
                audit_changes.append({"field": "tags", "old": tags_before, "new": names})
        return instance, audit_changes, tag_names


def _unknown_field() -> str:
    from django.utils.translation import gettext as _

    return _("This field cannot be set.")
