"""The base form for records: model fields + custom fields + tags + version."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .customfields import custom_fields_for
from .errors import ServiceError


class RecordForm(forms.ModelForm):
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
        custom = {}
        for cf in self.custom_definitions:
            value = self.cleaned_data.get(f"cf_{cf.name}")
            if value is not None and value != "" and value != []:
                custom[cf.name] = (
                    value.isoformat()
                    if hasattr(value, "isoformat")
                    else (str(value) if not isinstance(value, bool | int | list) else value)
                )
            elif cf.field_type == cf.FieldType.BOOLEAN:
                custom[cf.name] = False
            else:
                custom[cf.name] = None
        tags = [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]
        return {"data": data, "custom_fields": custom, "tags": tags}

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
