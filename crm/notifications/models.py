"""What the CRM tells its users: in-app notifications and the e-mails it sends.

Both carry an idempotency ``key`` (unique per recipient for notifications, unique for
e-mails) so a job that runs twice, or is retried after a crash, never tells anyone
the same thing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # An in-app link ("/activities/activities/12/"), never another site.
    url = models.CharField(_("link"), max_length=500, blank=True)
    # NULL, not "": notifications without a key are not unique (the constraint skips NULL).
    key = models.CharField(max_length=200, null=True, blank=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(key__isnull=False), name="notification_user_key_uniq"
            )
        ]
        # The bell's unread count and the list, newest first, unread first.
        indexes = [models.Index("user", "read_at", models.F("created_at").desc(), name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class OutboundEmail(models.Model):
    """An e-mail waiting to be sent (or sent). Written in the same transaction as what
    caused it, sent afterwards by ``outbox_send`` (see docs/architecture.md for what
    is guaranteed)."""

    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A worker that claimed the row owns it until then; after that another may retry.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(
                fields=["claimed_until", "id"], condition=Q(sent_at__isnull=True), name="outboundemail_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
