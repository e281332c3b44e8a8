"""Activities: calls, meetings, notes, e-mails and tasks logged against a company, a
contact, a deal or a lead.

``occurred_at`` orders every timeline. A task has a due date and is done or not;
when it is marked done its ``occurred_at`` becomes the time it was done, so the
timelines and "last contact" read one indexed column for every kind.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    EMAIL = "email", _("E-mail")
    TASK = "task", _("Task")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


LINK_FIELDS = ("company", "contact", "deal", "lead")


class Activity(CRMRecord):
    EDITABLE_FIELDS = (
        "kind",
        "subject",
        "body",
        "occurred_at",
        "due_at",
        "priority",
        "direction",
        "duration_minutes",
        "outcome",
        "end_at",
        "place",
        *LINK_FIELDS,
        "owner",
    )

    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices, default=ActivityKind.NOTE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    # Tasks
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # Calls
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    # Meetings
    end_at = models.DateTimeField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    # What it is about (at least one; the services check)
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        permissions = [("export_activity", _("Can export activities"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="activity_owner_idx"),
            models.Index(fields=["company", "occurred_at"], name="activity_company_idx"),
            models.Index(fields=["contact", "occurred_at"], name="activity_contact_idx"),
            models.Index(fields=["deal", "occurred_at"], name="activity_deal_idx"),
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_idx"),
            models.Index(fields=["kind", "done", "due_at"], name="activity_task_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_task(self) -> bool:
        return self.kind == ActivityKind.TASK

    @property
    def counts_as_contact(self) -> bool:
        return not self.is_task or self.done
