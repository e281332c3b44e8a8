"""Pipelines, their stages, deals, the people on a deal and each move between stages.

A deal's ``status`` (open, won, lost) follows the kind of the stage it sits in; the
services keep the two together so that boards, funnels and forecasts filter on one
indexed column instead of joining the stage.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord


class BilingualName(models.Model):
    """A name an administrator types in both languages; pages show the user's."""

    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Pipeline(BilingualName):
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # An open deal with no activity (nor stage move) for this long is flagged stale.
    stale_after_days = models.PositiveSmallIntegerField(
        _("stale after (days without activity)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="pipeline_one_default"
            )
        ]


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(BilingualName):
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_pos_idx")]

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class DealSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    EVENT = "event", _("Event")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    MANUAL = "manual", _("Manual")
    OTHER = "other", _("Other")


class Deal(CRMRecord):
    EDITABLE_FIELDS = (
        "name",
        "company",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "source",
        "next_step",
        "next_step_date",
        "products_interest",
        "owner",
    )

    name = models.CharField(_("name"), max_length=200)
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", verbose_name=_("contacts"), through="DealContact", related_name="deals", blank=True
    )
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(
        _("status"), max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN, editable=False
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=DealSource.choices, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    products_interest = models.TextField(_("products of interest"), blank=True)
    close_reason = models.TextField(_("win or loss reason"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    stage_changed_at = models.DateTimeField(_("in stage since"), null=True, blank=True, editable=False)
    # Written by the activities app when something is logged on the deal.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)
    # The name with its pinyin forms (crm.core.text.build_search_text); written by the services.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        permissions = [("export_deal", _("Can export deals"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="deal_owner_idx"),
            models.Index(fields=["pipeline", "status", "stage", "deleted_at"], name="deal_board_idx"),
            models.Index(fields=["status", "expected_close_date"], name="deal_forecast_idx"),
            models.Index(fields=["status", "closed_at"], name="deal_closed_idx"),
            models.Index(fields=["name"], name="deal_name_idx"),
            models.Index(fields=["created_at", "deleted_at", "owner"], name="deal_created_cover_idx"),
            # The board's cards: an open column closing soonest first, a won/lost column
            # latest closed first, each read a page at a time in index order.
            models.Index(
                fields=["stage", "expected_close_date", "id"],
                name="deal_board_open_cards_idx",
                condition=models.Q(deleted_at__isnull=True, status="open"),
            ),
            models.Index(
                fields=["stage", "-closed_at", "-id"],
                name="deal_board_closed_cards_idx",
                condition=models.Q(deleted_at__isnull=True, closed_at__isnull=False),
            ),
            # Stale deals, stalest first. (The board's totals have a covering index on
            # PostgreSQL, made by migration 0005.)
            models.Index(
                fields=["updated_at", "id"],
                name="deal_stale_idx",
                condition=models.Q(deleted_at__isnull=True, status="open"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    TECHNICAL = "technical", _("Technical evaluator")
    USER = "user", _("User")
    OTHER = "other", _("Other")


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(
        "contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="deal_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=DealContactRole.choices, blank=True)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})" if self.role else str(self.contact)


class DealStageChange(models.Model):
    """One move of a deal between stages (the first row is its creation, from no stage)."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_changes")
    # An emptied stage may be deleted; its history rows then keep the move without it.
    from_stage = models.ForeignKey(
        Stage, verbose_name=_("from stage"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    # Seconds the deal spent in from_stage.
    seconds_in_stage = models.BigIntegerField(_("time in previous stage (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["deal", "changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="deal_stagechange_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_funnel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage or '—'}"
