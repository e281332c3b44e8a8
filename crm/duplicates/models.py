from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PairKind(models.TextChoices):
    COMPANY = "company", _("Companies")
    CONTACT = "contact", _("Contacts")


class PairStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("duplicate pair", "Open")
    MERGED = "merged", pgettext_lazy("duplicate pair", "Merged")
    NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")


class DuplicatePair(models.Model):
    """Two records of one type that look like the same company or person.

    Written by the scan (crm/duplicates/scan.py); a person's decision ("not a
    duplicate") is kept by every later scan, and merged pairs are marked by the merge
    hook. ``a_id`` is always the smaller id, so a pair is stored once."""

    kind = models.CharField(_("record type"), max_length=10, choices=PairKind.choices)
    a_id = models.PositiveBigIntegerField(_("first record"))
    b_id = models.PositiveBigIntegerField(_("second record"))
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=PairStatus.choices, default=PairStatus.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    scanned_at = models.DateTimeField(_("last scanned"), auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        verbose_name = _("duplicate pair")
        verbose_name_plural = _("duplicate pairs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "a_id", "b_id"], name="duplicatepair_unique"),
            models.CheckConstraint(condition=models.Q(a_id__lt=models.F("b_id")), name="duplicatepair_ordered"),
        ]
        indexes = [
            models.Index(fields=["kind", "status", "-score", "id"], name="duplicatepair_review_idx"),
            models.Index(fields=["kind", "b_id"], name="duplicatepair_b_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.a_id} / {self.b_id} ({self.score})"
