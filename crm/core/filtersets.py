"""The base FilterSet. One FilterSet per model serves the list page, the API and exports."""

from __future__ import annotations

import decimal
import operator
from functools import reduce

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .customfields import custom_fields_for
from .models import CustomField
from .registry import record_type_for, register_filterset

FT = CustomField.FieldType


def _active_users(request=None):
    return get_user_model().objects.filter(is_active=True)


def visible_choices(model_path: str):
    """The queryset callable of a filter choosing among records of another type
    ("contacts.Company"): only those the requesting user may see, none when signed out."""

    def queryset(request):
        from django.apps import apps

        from .visibility import visible_to

        model = apps.get_model(model_path)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return model.objects.none()
        return visible_to(user, model)

    return queryset


class RecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(queryset=_active_users, label=_("Owner"))
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"))
    created_after = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("Created from"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Created until"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    # A saved segment (dynamic or frozen); not shown in the form, set by its link.
    segment = django_filters.NumberFilter(
        method="filter_segment", label=_("Segment"), widget=django_filters.widgets.forms.HiddenInput
    )

    search_fields: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and getattr(meta, "model", None) is not None:
            register_filterset(meta.model, cls)

    @property
    def form(self):
        """The filter form, where a choice among the records of a type (a company, a
        contact, ...) is a RecordPicker: typing part of a name instead of a select
        holding every visible record (a million contacts would not fit in a page)."""
        form = super().form
        if not getattr(form, "_record_pickers", False):
            from .widgets import RecordPicker

            for field in form.fields.values():
                model = getattr(getattr(field, "queryset", None), "model", None)
                if model is None or isinstance(field.widget, RecordPicker) or record_type_for(model) is None:
                    continue
                field.widget = RecordPicker(model._meta.label_lower)
                field.widget.queryset = field.queryset
            form._record_pickers = True
        return form

    def filter_segment(self, queryset, name, value):
        from .segments import segment_records, segments_visible_to

        user = getattr(self.request, "user", None)
        if value in (None, "") or user is None or not user.is_authenticated:
            return queryset if value in (None, "") else queryset.none()
        segment = segments_visible_to(user, list_name=self._meta.model._meta.label_lower).filter(pk=value).first()
        if segment is None:
            return queryset.none()
        members = segment_records(segment=segment, user=user).values("pk")
        return queryset.filter(pk__in=members)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self._meta.model
        for cf in custom_fields_for(model):
            self.filters[f"cf_{cf.name}"] = self._custom_filter(cf)

    @staticmethod
    def _custom_filter(cf: CustomField) -> django_filters.Filter:
        key = cf.name

        def apply(queryset, name, value):
            if value in (None, ""):
                return queryset
            lookup = f"custom_fields__{key}"
            if cf.field_type == FT.MULTI_CHOICE:
                # The stored list's JSON text contains the quoted choice.
                return queryset.filter(**{f"{lookup}__icontains": f'"{value}"'})
            if cf.field_type == FT.TEXT:
                return queryset.filter(**{f"{lookup}__icontains": value})
            if cf.field_type == FT.BOOLEAN:
                return queryset.filter(**{lookup: str(value).lower() in {"1", "true", "yes", "on"}})
            if cf.field_type == FT.NUMBER:
                try:
                    return queryset.filter(**{lookup: int(value)})
                except ValueError:
                    return queryset.none()
            if cf.field_type == FT.DECIMAL:
                try:
                    return queryset.filter(**{lookup: str(decimal.Decimal(value))})
                except decimal.InvalidOperation:
                    return queryset.none()
            return queryset.filter(**{lookup: str(value)})

        if cf.field_type in {FT.CHOICE, FT.MULTI_CHOICE}:
            return django_filters.ChoiceFilter(label=cf.label, method=apply, choices=[(c, c) for c in cf.choices])
        if cf.field_type == FT.BOOLEAN:
            return django_filters.ChoiceFilter(
                label=cf.label, method=apply, choices=[("true", _("Yes")), ("false", _("No"))]
            )
        return django_filters.CharFilter(label=cf.label, method=apply)

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value or not self.search_fields:
            return queryset
        conditions = [Q(**{f"{field}__icontains": value}) for field in self.search_fields]
        return queryset.filter(reduce(operator.or_, conditions))
