"""Base model and mixins every record type builds on, plus shared tables.

A domain model declares itself as ``class Contact(CRMRecord)`` and gets timestamps,
an owner, soft delete, tags, custom fields and optimistic locking. The behaviour
that goes with them (audit rows, visibility, validation) lives in services and in
visibility.py, not in ``save()``, so that every path goes through the same rules.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OwnedModel(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """The default manager: records in the recycle bin are left out."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionedModel(models.Model):
    """Optimistic locking: every saved change increments the version."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class TaggedModel(models.Model):
    tags = models.ManyToManyField(Tag, blank=True, related_name="%(app_label)s_%(class)s_set", verbose_name=_("tags"))

    class Meta:
        abstract = True


class CustomFieldsModel(models.Model):
    """Values of admin-defined custom fields, keyed by the field's name."""

    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    class Meta:
        abstract = True


class CRMRecord(TimestampedModel, OwnedModel, SoftDeleteModel, VersionedModel, TaggedModel, CustomFieldsModel):
    """Everything an owned business record gets. Subclasses add their fields."""

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(f"{self._meta.app_label}:{self._meta.model_name}_detail", args=[self.pk])


class CustomField(models.Model):
    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Whole number")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes / no")
        URL = "url", _("URL")
        EMAIL = "email", _("E-mail")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    name = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Lower-case letters, digits and underscores; used in the API and in filters."),
    )
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["content_type", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["content_type", "name"], name="customfield_unique_name")]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("zh") and self.label_zh:
            return self.label_zh
        return self.label_en


class SavedFilter(models.Model):
    """A segment: a named list filter (the query string of a list page), private or
    shared with the owner's team. It is dynamic (the filter runs again on every use)
    until it is frozen, which keeps the records it matched then as a static list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    list_name = models.CharField(max_length=100)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filter"), blank=True)
    shared_with_team = models.BooleanField(_("share with my team"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class SegmentMember(models.Model):
    """A record in a frozen segment (by id: the segment's record type says which table)."""

    segment = models.ForeignKey(SavedFilter, on_delete=models.CASCADE, related_name="members")
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "object_id"], name="segment_member_unique")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.object_id}"


# Job kind -> the name users see for it; filled by ``crm.core.jobs.job_task``.
JOB_KIND_LABELS: dict[str, object] = {}


class Job(models.Model):
    """A unit of background work whose status and progress a user can watch."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=60)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def label(self):
        """The job's name in the user's language (the kind itself when none was declared)."""
        return JOB_KIND_LABELS.get(self.kind, self.kind)

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.SUCCEEDED and bool((self.result or {}).get("file"))
