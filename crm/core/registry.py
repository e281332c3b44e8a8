"""What the shell knows about each record type: its pages, search fields, menu entry.

Apps register in their AppConfig.ready(); the global search, the recycle bin, the
sidebar and the role editor read from here, so adding an app edits none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models


@dataclass(frozen=True)
class RecordType:
    model: type[models.Model]
    search_fields: tuple[str, ...] = ()
    icon: str = "record"
    list_url_name: str = ""
    # Built-in role key -> default actions ("view", "add", "change", "delete", "export").
    grants: dict = field(default_factory=dict)
    # (queryset, query, *, typos) -> queryset: replaces the icontains match on
    # search_fields in the global search, for types that keep their own normalised
    # search text (crm.core.search.search_text_matches).
    search: Callable | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def verbose_name_plural(self):
        return self.model._meta.verbose_name_plural


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    icon: str = ""
    permission: str | None = None
    admin_only: bool = False
    section: str = "main"
    order: int = 100
    match_prefix: str = field(default="")


_record_types: dict[str, RecordType] = {}
_filtersets: dict[str, type] = {}
_nav: list[NavItem] = []


def register_record_type(model: type[models.Model], **options) -> RecordType:
    record_type = RecordType(model=model, **options)
    _record_types[record_type.label] = record_type
    return record_type


def record_types() -> list[RecordType]:
    return list(_record_types.values())


def record_type_for(model: type[models.Model] | str) -> RecordType | None:
    label = model if isinstance(model, str) else model._meta.label_lower
    return _record_types.get(label)


def register_filterset(model: type[models.Model], filterset: type) -> None:
    """The FilterSet of a record type (done by RecordFilterSet for each subclass)."""
    _filtersets[model._meta.label_lower] = filterset


def filterset_for(model: type[models.Model]) -> type | None:
    return _filtersets.get(model._meta.label_lower)


def register_nav(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _nav):
        _nav.append(item)


def nav_items() -> list[NavItem]:
    return sorted(_nav, key=lambda item: item.order)


_startup_notes: list = []


def register_startup_note(note) -> None:
    """A callable returning lines that `manage.py serve` prints when it starts."""
    _startup_notes.append(note)


def startup_notes() -> list[str]:
    lines: list[str] = []
    for note in _startup_notes:
        lines.extend(note())
    return lines
