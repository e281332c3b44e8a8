"""The base form for records: model fields + custom fields + tags + version."""

from __future__ import annotations

import copy

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .customfields import custom_fields_for
from .errors import ServiceError
from .widgets import PickerLabelsMixin


def custom_value(cf, value):
    """A custom field's form value as the services take it (None clears it)."""
    if value is not None and value != "" and value != []:
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value if isinstance(value, bool | int | list) else str(value)
    if cf.field_type == cf.FieldType.BOOLEAN:
        return False
    return None


class ServiceErrorsMixin:
    def add_service_error(self, exc: ServiceError) -> None:
        """Show a service error on the form: field messages next to fields, the rest on top."""
        placed = False
        for name, messages in exc.fields.items():
            target = name
            if name.startswith("custom_fields."):
                target = "cf_" + name.split(".", 1)[1]
            for message in messages:
                if target in self.fields:
                    self.add_error(target, message)
                else:
                    self.add_error(None, f"{name}: {message}" if name != "__all__" else message)
                placed = True
        if not placed:
            self.add_error(None, str(exc.message))


class RecordForm(PickerLabelsMixin, ServiceErrorsMixin, forms.ModelForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        max_length=600,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True)
        self.custom_definitions = custom_fields_for(self._meta.model)
        values = (self.instance.custom_fields or {}) if self.instance.pk else {}
        from .customfields import form_field_for

        for cf in self.custom_definitions:
            field = form_field_for(cf)
            field.initial = values.get(cf.name)
            self.fields[f"cf_{cf.name}"] = field
        if self.instance.pk:
            self.fields["tags"].initial = ", ".join(t.name for t in self.instance.tags.all())
            self.fields["version"].initial = self.instance.version

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        if "owner" in data and data["owner"] is None:
            data.pop("owner")  # blank means: keep the owner (a new record gets its creator)
        custom = {cf.name: custom_value(cf, self.cleaned_data.get(f"cf_{cf.name}")) for cf in self.custom_definitions}
        tags = [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]
        return {"data": data, "custom_fields": custom, "tags": tags}


class BulkEditForm(PickerLabelsMixin, ServiceErrorsMixin, forms.Form):
    """The fields a bulk edit may set, each with a "change" box: only ticked fields are
    written, with the same form fields (and pickers) as the record's own form."""

    def __init__(self, *args, pages, user, **kwargs):
        super().__init__(*args, **kwargs)
        record_form = pages.form(user=user)
        self.custom_definitions = {f"cf_{cf.name}": cf for cf in record_form.custom_definitions}
        names = [n for n in pages.bulk_fields if n in record_form.fields] + list(self.custom_definitions)
        self.editable: list[tuple[str, bool]] = []
        for name in names:
            source = record_form.fields[name]
            self.fields[f"change_{name}"] = forms.BooleanField(label=source.label, required=False)
            value_field = copy.deepcopy(source)
            value_field.required = False  # checked in clean(), for ticked fields only
            self.fields[name] = value_field
            self.editable.append((name, source.required))

    @property
    def rows(self):
        return [(self[f"change_{name}"], self[name]) for name, _required in self.editable]

    def clean(self):
        data = super().clean()
        ticked = [name for name, _required in self.editable if data.get(f"change_{name}")]
        if not ticked:
            raise forms.ValidationError(_("Tick at least one field to change."))
        for name, required in self.editable:
            if name in ticked and required and data.get(name) in (None, "", []):
                self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    def changes(self) -> tuple[dict, dict]:
        """(model field values, custom field values) of the ticked fields."""
        data, custom = {}, {}
        for name, _required in self.editable:
            if not self.cleaned_data.get(f"change_{name}"):
                continue
            value = self.cleaned_data.get(name)
            if name in self.custom_definitions:
                cf = self.custom_definitions[name]
                custom[cf.name] = custom_value(cf, value)
            else:
                data[name] = value
        return data, custom
