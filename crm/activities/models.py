"""Activities: calls, meetings, notes, e-mails and tasks logged against a company, a
contact, a deal or a lead.

``occurred_at`` orders every timeline. A task has a due date and is done or not;
when it is marked done its ``occurred_at`` becomes the time it was done, so the
timelines and "last contact" read one indexed column for every kind.
"""

from __future__ import annotations

import nh3
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import CRMRecord


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    EMAIL = "email", pgettext_lazy("activity kind", "E-mail")
    TASK = "task", _("Task")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


LINK_FIELDS = ("company", "contact", "deal", "lead")
# Meetings only: who takes part (users see the meeting in their calendar).
ATTENDEE_FIELDS = ("attendee_users", "attendee_contacts")
# A reminder goes at most four weeks before the task is due or the meeting starts.
MAX_REMIND_MINUTES = 4 * 7 * 24 * 60

# What a note's rich text may hold; everything else (scripts, styles, event handlers,
# javascript: links, images) is removed on every write and again when shown.
RICH_TEXT_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote", "h3", "h4"}
RICH_TEXT_ATTRIBUTES = {"a": {"href"}}
RICH_TEXT_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(value: str) -> str:
    """A note's body as safe HTML (nh3, the ammonia sanitiser): only the tags above,
    links only to http, https and mailto, opened without access to this page."""
    return nh3.clean(
        value or "",
        tags=RICH_TEXT_TAGS,
        attributes=RICH_TEXT_ATTRIBUTES,
        url_schemes=RICH_TEXT_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


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
        "remind_minutes_before",
        *ATTENDEE_FIELDS,
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
    attendee_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees (users)"), blank=True, related_name="meetings_attending"
    )
    attendee_contacts = models.ManyToManyField(
        "contacts.Contact", verbose_name=_("attendees (contacts)"), blank=True, related_name="meetings_attending"
    )
    # Tasks and meetings: a reminder this many minutes before due_at / occurred_at.
    remind_minutes_before = models.PositiveIntegerField(
        _("remind (minutes before)"), null=True, blank=True, validators=[MaxValueValidator(MAX_REMIND_MINUTES)]
    )
    # Written by the services from the time and the minutes; the reminder job reads it.
    remind_at = models.DateTimeField(_("reminder at"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)
    # Subject, outcome and place in every searchable form (crm.core.text), for the search.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
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
            # The reminder job's query: the due reminders not yet sent, an index scan.
            models.Index(
                fields=["remind_at"],
                condition=Q(reminded_at__isnull=True, remind_at__isnull=False, deleted_at__isnull=True),
                name="activity_reminder_due_idx",
            ),
            # My day and the calendar: a person's open tasks by due time, their meetings by start.
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(kind="task", done=False, deleted_at__isnull=True),
                name="activity_open_task_idx",
            ),
            models.Index(
                fields=["owner", "occurred_at"],
                condition=Q(kind="meeting", deleted_at__isnull=True),
                name="activity_meeting_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_task(self) -> bool:
        return self.kind == ActivityKind.TASK

    @property
    def counts_as_contact(self) -> bool:
        return not self.is_task or self.done

    @property
    def starts_at(self):
        """The time a reminder counts back from: a task's due time, a meeting's start."""
        if self.kind == ActivityKind.TASK:
            return self.due_at
        if self.kind == ActivityKind.MEETING:
            return self.occurred_at
        return None

    @property
    def body_html(self) -> SafeString:
        """The body for a page: a note's rich text sanitised (again: rows may come from
        bulk inserts that bypassed the services), any other kind's text escaped with its
        line breaks kept."""
        if self.kind == ActivityKind.NOTE:
            html = sanitize_html(self.body)
            if "<" not in html:  # typed without markup: keep its line breaks
                html = html.replace("\n", "<br>\n")
            return mark_safe(html)  # noqa: S308 (sanitised just above)
        return mark_safe(linebreaks(self.body, autoescape=True))  # noqa: S308 (escaped by linebreaks)
