"""Declarative tables for list pages: the columns a list can show and how to sort them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.formats import localize
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from .customfields import custom_fields_for, display_value


@dataclass
class Column:
    name: str
    label: Any
    accessor: str | None = None
    orderable: bool = True
    order_by: str | None = None
    link: bool = False
    formatter: Callable[[Any], str] | None = None

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
            self.all_columns.append(Column(f"cf_{cf.name}", cf.label, orderable=False))
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

    def prepare(self, qs):
        qs = qs.select_related(*self.select_related)
        if any(c.name == "tags" for c in self.visible):
            qs = qs.prefetch_related("tags")
        return qs
