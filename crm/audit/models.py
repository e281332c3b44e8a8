from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Names for changed "fields" that are not model fields of the record.
CHANGE_LABELS = {
    "api_token": _("API token"),
    "scopes": _("record scopes"),
    "permissions": _("permissions"),
    "tags": _("tags"),
}


class AuditEntry(models.Model):
    """One thing that happened. Rows are only ever added: see save() and delete()."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("audit action", "Created")
        UPDATE = "update", pgettext_lazy("audit action", "Updated")
        DELETE = "delete", pgettext_lazy("audit action", "Deleted")
        RESTORE = "restore", pgettext_lazy("audit action", "Restored")
        PURGE = "purge", pgettext_lazy("audit action", "Purged")
        MERGE = "merge", pgettext_lazy("audit action", "Merged")
        PERMISSION = "permission", pgettext_lazy("audit action", "Permission changed")
        EXPORT = "export", pgettext_lazy("audit action", "Exported")
        LOGIN = "login", pgettext_lazy("audit action", "Signed in")
        LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "Sign-in failed")
        LOGOUT = "logout", pgettext_lazy("audit action", "Signed out")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="audit_record_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries cannot be deleted")

    @property
    def display_changes(self) -> list[dict]:
        """The changes, each with ``field`` replaced by that field's name in the user's language."""
        changes = self.changes or []
        model = ContentType.objects.get_for_id(self.content_type_id).model_class() if self.content_type_id else None
        # A caller showing many entries of one record sets custom_labels once for all.
        custom = getattr(self, "custom_labels", None) or {}
        needs_custom = any(str(c.get("field", "")).startswith("custom_fields.") for c in changes)
        if model is not None and needs_custom and getattr(self, "custom_labels", None) is None:
            from crm.core.models import CustomField

            custom = {cf.name: cf.label for cf in CustomField.objects.filter(content_type_id=self.content_type_id)}
        # A caller may set value_labels: {(field name, stored value): text}, for links
        # resolved in one query per related model (crm.core.timeline does).
        labels = getattr(self, "value_labels", None) or {}
        return [
            {
                **c,
                "field": _change_label(model, str(c.get("field", "")), custom),
                "old": _display_value(c.get("old"), _model_field(model, c.get("field")), labels),
                "new": _display_value(c.get("new"), _model_field(model, c.get("field")), labels),
            }
            for c in changes
        ]


def _model_field(model, name):
    if model is None or not isinstance(name, str) or name.startswith("custom_fields."):
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _display_value(value, field=None, labels=None):
    """A logged value as people read it: lists joined, yes/no for booleans, choices by
    their label, dates and times in the user's time zone and format, a linked record by
    its name when the caller resolved it; None kept."""
    from django.utils.translation import gettext

    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if field is not None and value is not None and not isinstance(value, list | tuple | dict):
        shown = _field_value(field, value, labels or {})
        if shown is not None:
            return shown
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else None
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) if value else None
    return value


def _field_value(field, value, labels: dict):
    from django.db import models as dj
    from django.utils import dateparse, formats, timezone

    if (field.name, value) in labels:
        return labels[(field.name, value)]
    if getattr(field, "flatchoices", None):
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, dj.DateTimeField) and isinstance(value, str):
        parsed = dateparse.parse_datetime(value)
        if parsed is not None:
            if timezone.is_aware(parsed):
                parsed = timezone.localtime(parsed)
            return formats.date_format(parsed, "SHORT_DATETIME_FORMAT")
    elif isinstance(field, dj.DateField) and isinstance(value, str):
        parsed = dateparse.parse_date(value)
        if parsed is not None:
            return formats.date_format(parsed, "SHORT_DATE_FORMAT")
    return None


def _change_label(model, name: str, custom: dict):
    if name.startswith("custom_fields."):
        key = name.split(".", 1)[1]
        return custom.get(key, key)
    if model is not None:
        try:
            label = getattr(model._meta.get_field(name), "verbose_name", None)
        except FieldDoesNotExist:
            label = None
        if label:
            return label
    return CHANGE_LABELS.get(name, name)
