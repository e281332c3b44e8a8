"""Declarative tables for list pages: the columns a list can show and how to sort them."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.formats import localize
from django.utils.timezone import get_current_timezone, localtime
from django.utils.timezone import override as override_timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override as override_language

from .customfields import custom_fields_for, display_value


def _shows_its_name(model) -> bool:
    """A record type whose text is its ``name`` field (companies, contacts, deals)."""
    try:
        field = model._meta.get_field("name")
    except FieldDoesNotExist:
        return False
    return field.concrete and not field.is_relation and model.__str__ is not models.Model.__str__


def choice_label(choices) -> Callable[[Any], str]:
    """A column formatter showing a choice's label in the current language. The
    labels are translated once per language, not once per cell: an export of a
    million rows would otherwise look each one up a million times."""
    labels = dict(choices)
    by_language: dict[str | None, dict] = {}

    def formatter(value) -> str:
        language = get_language()
        table = by_language.get(language)
        if table is None:
            table = by_language[language] = {key: str(label) for key, label in labels.items()}
        return table.get(value, value or "")

    return formatter


@dataclass
class Column:
    name: str
    label: Any
    accessor: str | None = None
    orderable: bool = True
    order_by: str | None = None
    link: bool = False
    formatter: Callable[[Any], str] | None = None
    kind: str = ""  # a custom field's type, for typed exports

    def value(self, record) -> Any:
        if self.name.startswith("cf_"):
            return display_value((record.custom_fields or {}).get(self.name[3:]))
        if self.name == "tags":
            return ", ".join(t.name for t in record.tags.all())
        value = record
        for part in (self.accessor or self.name).split("."):
            value = getattr(value, part, None) if value is not None else None
        if self.formatter:
            return self.formatter(value)
        if value is None:
            return ""
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            return localize(localtime(value).replace(microsecond=0, second=0).replace(tzinfo=None))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return value

    def export_value(self, record) -> Any:
        """The value with its type kept, for spreadsheets: numbers stay numbers, dates and
        times are dates (times in the active time zone, without tzinfo), the rest text."""
        if self.name.startswith("cf_"):
            return self.typed_custom(self.kind, (record.custom_fields or {}).get(self.name[3:]))
        if self.name == "tags" or self.formatter:
            return self.value(record)
        value = record
        for part in (self.accessor or self.name).split("."):
            value = getattr(value, part, None) if value is not None else None
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return localtime(value).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, int | float | decimal.Decimal | datetime.date):
            return value
        return str(value)

    @staticmethod
    def typed_custom(kind: str, raw: Any) -> Any:
        """A stored custom field value with its type: whole numbers and decimals as
        numbers, dates as dates, the rest as the text the pages show."""
        try:
            if kind == "number" and isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            if kind == "decimal" and raw not in (None, ""):
                return decimal.Decimal(str(raw))
            if kind == "date" and raw:
                return datetime.date.fromisoformat(str(raw))
        except (ValueError, decimal.InvalidOperation):
            pass
        return display_value(raw)

    @property
    def sort_key(self) -> str:
        return self.order_by or (self.accessor or self.name).replace(".", "__")


class Table:
    model = None
    columns: list[Column] = []
    default_columns: list[str] = []
    select_related: tuple[str, ...] = ()
    default_sort = "-created_at"

    def __init__(self, chosen: list[str] | None = None):
        self.all_columns = list(self.columns)
        for cf in custom_fields_for(self.model):
            self.all_columns.append(Column(f"cf_{cf.name}", cf.label, orderable=False, kind=cf.field_type))
        self.all_columns.append(Column("tags", _("Tags"), orderable=False))
        by_name = {c.name: c for c in self.all_columns}
        names = [n for n in (chosen or []) if n in by_name] or list(self.default_columns)
        self.visible = [by_name[n] for n in names if n in by_name]

    def orderable(self) -> dict[str, Column]:
        return {c.name: c for c in self.all_columns if c.orderable}

    def order_queryset(self, qs, sort: str | None):
        names = self.orderable()
        key = (sort or "").lstrip("-")
        if key in names:
            field = names[key].sort_key
            prefix = "-" if (sort or "").startswith("-") else ""
            return qs.order_by(f"{prefix}{field}", f"{prefix}pk"), sort
        return qs.order_by(self.default_sort, "-pk" if self.default_sort.startswith("-") else "pk"), ""

    # Exports ---------------------------------------------------------------------
    def _value_paths(self) -> list[tuple[str, Any]] | None:
        """For each column, how to read it from a values() row: ("field", lookup),
        ("formatted", (lookup, formatter)), ("related", (lookup of the id, related
        model)), ("custom", key) or ("tags", None). None when a column needs the model
        instance (a property, a formatter of a related record)."""
        paths: list[tuple[str, Any]] = []
        for column in self.all_columns:
            if column.name.startswith("cf_"):
                paths.append(("custom", column.name[3:]))
                continue
            if column.name == "tags":
                paths.append(("tags", None))
                continue
            model, lookup = self.model, []
            parts = (column.accessor or column.name).split(".")
            for i, part in enumerate(parts):
                try:
                    model_field = model._meta.get_field(part)
                except FieldDoesNotExist:
                    return None
                if model_field.many_to_many or model_field.one_to_many or not model_field.concrete:
                    return None
                if model_field.is_relation:
                    if i == len(parts) - 1:
                        if column.formatter:
                            return None
                        related = model_field.related_model
                        if _shows_its_name(related):
                            # Read the name in the same query (a join) rather than
                            # looking each chunk's ids up afterwards.
                            lookup.extend([part, "name"])
                            paths.append(("field", "__".join(lookup)))
                        else:
                            lookup.append(model_field.attname)
                            paths.append(("related", ("__".join(lookup), related)))
                        break
                    lookup.append(part)
                    model = model_field.related_model
                else:
                    if i != len(parts) - 1:
                        return None
                    lookup.append(part)
                    if column.formatter:
                        paths.append(("formatted", ("__".join(lookup), column.formatter)))
                    else:
                        paths.append(("field", "__".join(lookup)))
        return paths

    def export_rows(self, qs, *, chunk_size: int = 2000):
        """[pk, value of each column in all_columns] for every record of qs, in its order,
        with types kept (see Column.export_value). Reads plain values rather than model
        instances, in chunks (tags and related names looked up once per chunk), so a
        million rows stream with flat memory.

        The rows are read lazily, possibly after the request's time zone and language
        were reset (a streamed response), so both are taken now and kept while reading."""
        rows = self._export_rows(qs, chunk_size=chunk_size)
        tz, language = get_current_timezone(), get_language()

        def keep_locale():
            with override_timezone(tz), override_language(language):
                yield from rows

        return keep_locale()

    def _export_rows(self, qs, *, chunk_size: int):
        paths = self._value_paths()
        if paths is None:
            columns = self.all_columns
            qs = qs.select_related(*self.select_related).prefetch_related("tags")
            for obj in qs.iterator(chunk_size=chunk_size):
                yield [obj.pk] + [c.export_value(obj) for c in columns]
            return
        lookups = ["pk"]
        for kind, arg in paths:
            if kind == "field":
                lookups.append(arg)
            elif kind in ("related", "formatted"):
                lookups.append(arg[0])
        if any(kind == "custom" for kind, _arg in paths):
            lookups.append("custom_fields")
        index = {lookup: i for i, lookup in enumerate(dict.fromkeys(lookups))}
        lookups = list(index)
        custom_kinds = {c.name[3:]: c.kind for c in self.all_columns if c.name.startswith("cf_")}
        want_tags = any(kind == "tags" for kind, _arg in paths)
        names: dict[type, dict] = {}
        yes, no = str(_("Yes")), str(_("No"))
        tz = get_current_timezone()

        def plain(value):
            if type(value) is str:
                return value
            if value is None:
                return ""
            if isinstance(value, datetime.datetime):
                return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
            if isinstance(value, bool):
                return yes if value else no
            if isinstance(value, str | int | float | decimal.Decimal | datetime.date):
                return value
            return str(value)

        def flush(batch):
            tags = self._tag_names([row[0] for row in batch]) if want_tags else {}
            related_ids: dict[type, set] = {}
            for kind, arg in paths:
                if kind == "related":
                    names.setdefault(arg[1], {})
                    related_ids.setdefault(arg[1], set()).update(
                        row[index[arg[0]]] for row in batch if row[index[arg[0]]] is not None
                    )
            for model, ids in related_ids.items():
                cache = names[model]
                missing = ids - cache.keys()
                if missing:
                    if len(cache) > 100_000:
                        cache.clear()
                        missing = ids
                    for pk, obj in model._base_manager.in_bulk(list(missing)).items():
                        cache[pk] = str(obj)
            # One small function per column, chosen once per chunk: a million rows times
            # twenty columns is twenty million cells, so no per-cell dispatch on the kind.
            getters = []
            for kind, arg in paths:
                if kind == "field":
                    # Most cells are text or empty: no call for them.
                    getters.append(
                        lambda row, i=index[arg]: v if type(v := row[i]) is str else ("" if v is None else plain(v))
                    )
                elif kind == "formatted":
                    getters.append(lambda row, i=index[arg[0]], fmt=arg[1]: fmt(row[i]))
                elif kind == "related":
                    getters.append(
                        lambda row, i=index[arg[0]], cache=names[arg[1]]: (
                            "" if row[i] is None else cache.get(row[i], "")
                        )
                    )
                elif kind == "custom":
                    getters.append(
                        lambda row, i=index["custom_fields"], key=arg, cast=custom_kinds[arg]: Column.typed_custom(
                            cast, (row[i] or {}).get(key)
                        )
                    )
                else:
                    getters.append(lambda row: ", ".join(tags.get(row[0], ())))
            for row in batch:
                yield [row[0], *[get(row) for get in getters]]

        batch = []
        for row in qs.values_list(*lookups).iterator(chunk_size=chunk_size):
            batch.append(row)
            if len(batch) >= chunk_size:
                yield from flush(batch)
                batch = []
        if batch:
            yield from flush(batch)

    def _tag_names(self, pks: list) -> dict:
        through = self.model._meta.get_field("tags").remote_field.through
        source = self.model._meta.model_name
        found: dict = {}
        for pk, name in (
            through.objects.filter(**{f"{source}_id__in": pks})
            .order_by("tag__name")
            .values_list(f"{source}_id", "tag__name")
        ):
            found.setdefault(pk, []).append(name)
        return found

    def prepare(self, qs):
        qs = qs.select_related(*self.select_related)
        if any(c.name == "tags" for c in self.visible):
            qs = qs.prefetch_related("tags")
        return qs
