"""The 360-degree page's parts that other apps plug into: timeline, key figures, panels.

An app adds what it knows about a record in its AppConfig.ready():

    register_timeline_source(activities_for_timeline, models=[Company, Contact])
    register_key_figure(Company, lifetime_value)
    register_related_panel(Company, _("Deals"), open_deals_of_company)
    register_quick_action(Company, add_contact_at_company)

and the detail page of every registered model shows it, without anyone editing the
page. Each source reads a bounded number of rows in a fixed number of queries, so
a record with ten thousand history entries loads as fast as one with ten.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass
class TimelineItem:
    when: datetime.datetime
    kind: str
    title: Any
    actor: str = ""
    url: str = ""
    changes: list = field(default_factory=list)


@dataclass
class KeyFigure:
    label: Any
    value: Any
    url: str = ""

    @property
    def is_text(self) -> bool:
        """Dates and words are shown smaller than counts and amounts."""
        return not isinstance(self.value, int | float | decimal.Decimal)


@dataclass
class QuickAction:
    label: Any
    url: str


@dataclass
class RelatedPanel:
    title: Any
    records: list
    total: int
    more_url: str = ""


_timeline_sources: list[tuple[Callable, tuple[str, ...] | None]] = []
_key_figures: dict[str, list[Callable]] = {}
_related_panels: dict[str, list[tuple[Any, Callable]]] = {}
_quick_actions: dict[str, list[Callable]] = {}


def _label(model) -> str:
    return model._meta.label_lower


def register_timeline_source(source: Callable, *, models: list | None = None) -> None:
    """``source(record, user, limit) -> list[TimelineItem]``; for every model unless listed."""
    entry = (source, tuple(_label(m) for m in models) if models else None)
    if entry not in _timeline_sources:
        _timeline_sources.append(entry)


def register_key_figure(model, figure: Callable) -> None:
    """``figure(record, user) -> KeyFigure | None``, shown at the top of the record's page."""
    figures = _key_figures.setdefault(_label(model), [])
    if figure not in figures:
        figures.append(figure)


def register_related_panel(model, title, panel: Callable) -> None:
    """``panel(record, user) -> RelatedPanel | None``, a list of related records."""
    panels = _related_panels.setdefault(_label(model), [])
    if all(existing is not panel for _t, existing in panels):
        panels.append((title, panel))


def register_quick_action(model, action: Callable) -> None:
    """``action(record, user) -> QuickAction | None``: a button at the top of the record's
    page (None when the user may not do it), e.g. "Add a contact" on a company."""
    actions = _quick_actions.setdefault(_label(model), [])
    if action not in actions:
        actions.append(action)


def quick_actions_for(record: models.Model, user) -> list[QuickAction]:
    actions = (action(record, user) for action in _quick_actions.get(_label(type(record)), []))
    return [a for a in actions if a is not None]


def timeline_for(record: models.Model, user, *, limit: int = 50) -> list[TimelineItem]:
    label = _label(type(record))
    items: list[TimelineItem] = []
    for source, labels in _timeline_sources:
        if labels is None or label in labels:
            items.extend(source(record, user, limit))
    items.sort(key=lambda item: item.when, reverse=True)
    return items[:limit]


def key_figures_for(record: models.Model, user) -> list[KeyFigure]:
    figures = (figure(record, user) for figure in _key_figures.get(_label(type(record)), []))
    return [f for f in figures if f is not None]


def related_panels_for(record: models.Model, user) -> list[RelatedPanel]:
    panels = (panel(record, user) for _title, panel in _related_panels.get(_label(type(record)), []))
    return [p for p in panels if p is not None]


def _link_labels(model, entries, user) -> dict:
    """Names of the records the changes link to (owner, company, ...), one query per
    related model: users by name, other records only when ``user`` may see them (a
    hidden record stays an id)."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import FieldDoesNotExist

    from .visibility import visible_to

    wanted: dict[str, set] = {}
    for entry in entries:
        for change in entry.changes or []:
            name = change.get("field")
            if not isinstance(name, str) or name.startswith("custom_fields."):
                continue
            for value in (change.get("old"), change.get("new")):
                if isinstance(value, int) and not isinstance(value, bool):
                    wanted.setdefault(name, set()).add(value)
    labels: dict = {}
    by_model: dict = {}
    for name, ids in wanted.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a field removed since the change was logged
            continue
        if not getattr(field, "many_to_one", False) or field.related_model is None:
            continue
        by_model.setdefault(field.related_model, []).append((name, ids))
    User = get_user_model()
    for related, fields in by_model.items():
        ids = set().union(*(found for _name, found in fields))
        if related is User:
            rows = User.objects.filter(pk__in=ids)
            names = {u.pk: (u.get_full_name() or u.get_username()) for u in rows}
        elif getattr(related, "all_objects", None) is not None and hasattr(related, "owner"):
            names = {r.pk: str(r) for r in visible_to(user, related.all_objects.filter(pk__in=ids))}
        else:
            names = {r.pk: str(r) for r in related._base_manager.filter(pk__in=ids)}
        for name, found in fields:
            for pk in found:
                if pk in names:
                    labels[(name, pk)] = names[pk]
    return labels


def audit_changes_source(record: models.Model, user, limit: int) -> list[TimelineItem]:
    """Every change recorded in the audit log, with field names in the user's language."""
    from crm.audit.selectors import audit_for_record

    entries = list(audit_for_record(instance=record)[:limit])
    custom_labels = None
    if any(str(c.get("field", "")).startswith("custom_fields.") for e in entries for c in e.changes or []):
        from .customfields import custom_fields_for

        custom_labels = {cf.name: cf.label for cf in custom_fields_for(type(record))}
    value_labels = _link_labels(type(record), entries, user)
    items = []
    for entry in entries:
        entry.custom_labels = custom_labels  # one query for all entries, not one each
        entry.value_labels = value_labels
        items.append(
            TimelineItem(
                when=entry.created_at,
                kind=f"audit.{entry.action}",
                title=entry.get_action_display(),
                actor=entry.actor_name,
                changes=entry.display_changes,
            )
        )
    return items


register_timeline_source(audit_changes_source)
