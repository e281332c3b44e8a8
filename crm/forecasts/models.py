"""Quotas, the commit threshold and the weekly forecast snapshots.

None of these is a CRM record (no owner, no recycle bin): a quota belongs to the user
or team it is set for, and who may see or set it follows the reach of that user's
deals (see selectors.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .periods import Period, PeriodKind

DEFAULT_COMMIT_THRESHOLD = 75


class Quota(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="quotas"
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    amount = models.DecimalField(_("quota"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["period_start", "period_kind", "id"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="quota_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["user", "period_kind", "period_start"],
                condition=Q(user__isnull=False),
                name="quota_user_period_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period_kind", "period_start"],
                condition=Q(team__isnull=False),
                name="quota_team_period_unique",
            ),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start"], name="quota_period_idx")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.period}"

    @property
    def subject(self):
        return self.user if self.user_id else self.team

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start)


class ForecastSettings(models.Model):
    """One row (pk=1): the settings an administrator changes on the quotas page."""

    commit_threshold = models.PositiveSmallIntegerField(
        _("commit threshold (%)"),
        default=DEFAULT_COMMIT_THRESHOLD,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Open deals in stages at least this likely to be won count as commit."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("forecast settings")
        verbose_name_plural = _("forecast settings")

    def __str__(self) -> str:
        return str(_("Forecast settings"))


class ForecastSnapshot(models.Model):
    """The forecast of one period for one owner or team, as it stood in one week."""

    week_start = models.DateField(_("week"))
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    pipeline = models.DecimalField(_("pipeline"), max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(_("weighted"), max_digits=20, decimal_places=2, default=0)
    commit = models.DecimalField(_("commit"), max_digits=20, decimal_places=2, default=0)
    best_case = models.DecimalField(_("best case"), max_digits=20, decimal_places=2, default=0)
    closed_won = models.DecimalField(_("closed-won"), max_digits=20, decimal_places=2, default=0)
    quota = models.DecimalField(_("quota"), max_digits=20, decimal_places=2, null=True, blank=True)
    commit_threshold = models.PositiveSmallIntegerField(_("commit threshold (%)"), default=DEFAULT_COMMIT_THRESHOLD)
    taken_at = models.DateTimeField(_("taken"))

    class Meta:
        ordering = ["period_start", "week_start", "id"]
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False) & Q(team__isnull=True))
                | (Q(owner__isnull=True) & Q(team__isnull=False)),
                name="snapshot_owner_xor_team",
            ),
            models.UniqueConstraint(
                fields=["week_start", "period_kind", "period_start", "owner"],
                condition=Q(owner__isnull=False),
                name="snapshot_owner_unique",
            ),
            models.UniqueConstraint(
                fields=["week_start", "period_kind", "period_start", "team"],
                condition=Q(team__isnull=False),
                name="snapshot_team_unique",
            ),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start", "week_start"], name="snapshot_period_idx")]

    def __str__(self) -> str:
        return f"{self.week_start} {self.period} {self.owner or self.team}"

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start)
