"""Imports: one ImportRun per uploaded file, what each chunk changed, and the rows refused.

A run is written in chunks. Each chunk's records, its ImportChange rows (what was
created, and the previous values of what was updated), its ImportRowError rows and
the run's checkpoint move forward in ONE transaction, so after a crash the database
holds whole chunks only and the run resumes at its checkpoint (docs/architecture.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MatchRule(models.TextChoices):
    CREATE = "create", _("Create new records only")
    UPDATE = "update", _("Update existing records only")
    UPSERT = "upsert", _("Create or update")


class MatchOn(models.TextChoices):
    EXTERNAL_ID = "external_id", _("External id")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    REGISTRATION_NUMBER = "registration_number", _("Registration number")
    NAME = "name", _("Name (companies: similar name)")
    SKU = "sku", _("SKU")
    NONE = "", _("Do not match")


class ImportRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    record_type = models.CharField(_("record type"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    original_name = models.CharField(_("file"), max_length=255)
    stored_name = models.CharField(max_length=80, editable=False)
    file_format = models.CharField(_("format"), max_length=5)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # Column index (as a string) -> field key ("name", "email", "cf:<key>", "tags", "external_id").
    mapping = models.JSONField(default=dict, blank=True)
    match_rule = models.CharField(_("matching"), max_length=10, choices=MatchRule.choices, default=MatchRule.UPSERT)
    match_on = models.CharField(_("matched by"), max_length=20, choices=MatchOn.choices, blank=True)
    phone_region = models.CharField(_("default phone region"), max_length=2, default="CN")
    dry_run = models.BooleanField(_("dry run"), default=False)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    checkpoint = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    message = models.TextField(_("message"), blank=True)
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.record_type})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.UNDONE}

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(self.checkpoint * 100 / self.total_rows)) if self.total_rows else 0


class ImportChange(models.Model):
    """One record an import created or updated, written with the record in one transaction."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="changes")
    row = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    object_id = models.BigIntegerField()
    # For an update: the field values before it (JSON forms, as the audit log keeps them).
    before = models.JSONField(null=True, blank=True)
    # The record's version right after the import wrote it: a different version at undo
    # time means someone changed it since, and the undo is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["run", "row"], name="importchange_run_row_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_id} (row {self.row})"


class ImportRowError(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()
    values = models.JSONField(default=list)
    errors = models.JSONField(default=dict)

    class Meta:
        ordering = ["row"]
        indexes = [models.Index(fields=["run", "row"], name="importerror_run_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row}"


class ExternalId(models.Model):
    """The id a record has in the system it was imported from (an ERP's customer number),
    so a later import of the same export updates it instead of creating it again."""

    record_type = models.CharField(max_length=20)
    external_id = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record_type", "external_id"], name="externalid_unique"),
        ]
        indexes = [models.Index(fields=["record_type", "object_id"], name="externalid_object_idx")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.external_id}"
