"""Admin-defined custom fields: validation, form fields, filters, export columns."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from .errors import ValidationFailed
from .models import CustomField

FT = CustomField.FieldType


def custom_fields_for(model) -> list[CustomField]:
    ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
    return list(CustomField.objects.filter(content_type=ct))


def _clean_one(cf: CustomField, raw: Any) -> Any:
    """Return the stored form of a value, or raise ValidationError with a user message."""
    if raw is None or raw == "" or raw == []:
        if cf.required:
            raise ValidationError(_("This field is required."))
        return None
    t = cf.field_type
    if t == FT.TEXT:
        value = str(raw).strip()
        if len(value) > 1000:
            raise ValidationError(_("At most 1000 characters."))
        return value
    if t == FT.NUMBER:
        if isinstance(raw, bool):
            raise ValidationError(_("Enter a whole number."))
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValidationError(_("Enter a whole number.")) from None
        return number
    if t == FT.DECIMAL:
        try:
            number = decimal.Decimal(str(raw).strip())
        except decimal.InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return str(number)
    if t == FT.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if t == FT.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in {"true", "1", "yes", "on"}:
            return True
        if lowered in {"false", "0", "no", "off"}:
            return False
        raise ValidationError(_("Enter yes or no."))
    if t == FT.CHOICE:
        if str(raw) not in cf.choices:
            raise ValidationError(_("“%(value)s” is not one of the choices.") % {"value": raw})
        return str(raw)
    if t == FT.MULTI_CHOICE:
        values = raw if isinstance(raw, list | tuple) else [v.strip() for v in str(raw).split(",") if v.strip()]
        bad = [str(v) for v in values if str(v) not in cf.choices]
        if bad:
            raise ValidationError(_("Not among the choices: %(values)s") % {"values": ", ".join(bad)})
        return [str(v) for v in values]
    if t == FT.URL:
        value = str(raw).strip()
        URLValidator(message=_("Enter a valid URL."))(value)
        return value
    if t == FT.EMAIL:
        value = str(raw).strip().lower()
        EmailValidator(message=_("Enter a valid e-mail address."))(value)
        return value
    raise ValidationError(_("Unknown field type."))


def clean_custom_values(model, values: dict | None, *, existing: dict | None = None, definitions=None) -> dict:
    """Validate custom values for a model. Unknown keys are refused, not dropped.

    ``definitions``: the model's custom fields when the caller has read them already
    (an import reads them once, not once a row)."""
    values = values or {}
    if not isinstance(values, dict):
        raise ValidationFailed(fields={"custom_fields": [_("Expected an object of field names and values.")]})
    definitions = {cf.name: cf for cf in (custom_fields_for(model) if definitions is None else definitions)}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in definitions:
            errors[f"custom_fields.{key}"] = [_("There is no custom field with this key.")]
    merged = dict(existing or {})
    merged.update(values)
    cleaned: dict[str, Any] = {}
    for name, cf in definitions.items():
        try:
            value = _clean_one(cf, merged.get(name))
        except ValidationError as exc:
            errors[f"custom_fields.{name}"] = [str(m) for m in exc.messages]
            continue
        if value is not None:
            cleaned[name] = value
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def form_field_for(cf: CustomField) -> forms.Field:
    common = {"label": cf.label, "required": cf.required}
    t = cf.field_type
    if t == FT.NUMBER:
        return forms.IntegerField(**common)
    if t == FT.DECIMAL:
        return forms.DecimalField(**common)
    if t == FT.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if t == FT.BOOLEAN:
        return forms.BooleanField(**{**common, "required": False})
    if t == FT.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in cf.choices], **common)
    if t == FT.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in cf.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if t == FT.URL:
        return forms.URLField(assume_scheme="https", **common)
    if t == FT.EMAIL:
        return forms.EmailField(**common)
    return forms.CharField(max_length=1000, **common)


def display_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
