"""E-mail from the CRM: templates with merge fields, the log of messages sent from the
CRM or logged from elsewhere (each is an e-mail activity on a contact's timeline), and
the users' private logging addresses.

A message is visible to whoever may read its activity: the activity carries the owner,
so the e-mail follows the same scopes as every other activity.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class EmailTemplate(models.Model):
    """A subject and a plain-text body with merge fields (``{{ contact.first_name }}``),
    in one language. Private to its owner unless shared with everyone."""

    EDITABLE_FIELDS = ("name", "language", "subject", "body", "active", "shared")

    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    active = models.BooleanField(_("active"), default=True, help_text=_("Only active templates are offered."))
    shared = models.BooleanField(
        _("shared with everyone"),
        default=False,
        help_text=_("Everyone may use a shared template; only its owner and administrators change it."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_templates",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        indexes = [models.Index(fields=["owner", "active"], name="emailtemplate_owner_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("emails:template_edit", args=[self.pk])


class Direction(models.TextChoices):
    OUTGOING = "out", _("Sent")
    INCOMING = "in", _("Received")


class EmailSource(models.TextChoices):
    CRM = "crm", _("Sent from the CRM")
    LOGGING_ADDRESS = "address", _("Logging address (BCC or forward)")
    UPLOAD = "upload", _("Uploaded message")


class EmailMessage(models.Model):
    """One e-mail, logged once (``message_id`` is unique) as an e-mail activity."""

    activity = models.OneToOneField(
        "activities.Activity", verbose_name=_("activity"), on_delete=models.CASCADE, related_name="email"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    source = models.CharField(_("logged by"), max_length=10, choices=EmailSource.choices, default=EmailSource.CRM)
    from_address = models.CharField(_("from"), max_length=400)
    to_addresses = models.JSONField(_("to"), default=list, blank=True)
    cc_addresses = models.JSONField(_("cc"), default=list, blank=True)
    message_id = models.CharField(_("message ID"), max_length=255, unique=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    attachment_names = models.JSONField(_("attachments"), default=list, blank=True)
    # Every contact the message was matched with; the activity is on the first of them.
    contacts = models.ManyToManyField(
        "contacts.Contact", verbose_name=_("contacts"), blank=True, related_name="email_messages"
    )
    template = models.ForeignKey(
        EmailTemplate, verbose_name=_("template"), on_delete=models.SET_NULL, null=True, blank=True
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")

    def __str__(self) -> str:
        to = ", ".join(self.to_addresses)
        return f"{self.get_direction_display()}: {self.from_address} → {to}"

    def get_absolute_url(self) -> str:
        return reverse("emails:email_detail", args=[self.pk])

    def sent_at_display(self) -> str:
        return date_format(timezone.localtime(self.sent_at), "SHORT_DATETIME_FORMAT")


class LoggingAddress(models.Model):
    """A user's private address for logging mail sent elsewhere:
    ``log+<token>@<INBOUND_EMAIL_DOMAIN>``. Only the SHA-256 of the token is stored
    (the address is shown once, when it is made), so a database dump gives nobody the
    power to log mail in a user's name; a new address revokes the old one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_logging_addresses")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("logging address")
        verbose_name_plural = _("logging addresses")

    def __str__(self) -> str:
        return f"log+{self.prefix}…"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.lower().encode()).hexdigest()
