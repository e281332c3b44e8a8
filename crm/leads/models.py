"""Leads, the rules that give a new lead its owner, and the public web-to-lead forms.

A lead is someone who may become a customer: a name, a company name and contact
details, where it came from and how far qualifying it got. Qualified leads convert
into a company, a contact and a deal (``services.lead_convert``); the lead keeps a
link to each. A web form submission that repeats an open lead's e-mail or phone is
kept as a lead linked to the first (``duplicate_of``) instead of a second independent
one, and a submission from a known contact links that contact (``matched_contact``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord


class LeadSource(models.TextChoices):
    # The same values as a deal's source, so a converted lead hands its source on.
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    EVENT = "event", _("Event")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    MANUAL = "manual", _("Manual")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("Working")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED)


class Lead(CRMRecord):
    # The fields people edit, in the order forms, pages and the API show them. The
    # status is changed by lead_set_status (and conversion), never by a plain edit.
    EDITABLE_FIELDS = (
        "name",
        "company_name",
        "title",
        "email",
        "phone",
        "region",
        "source",
        "campaign",
        "score",
        "description",
        "owner",
    )

    name = models.CharField(_("name"), max_length=200)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, help_text=_("For example 华东 or East China."))
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.MANUAL)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW, editable=False
    )
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=300, blank=True, editable=False)
    score = models.PositiveSmallIntegerField(
        _("score"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    description = models.TextField(_("description"), blank=True)
    web_form = models.ForeignKey(
        "leads.WebForm",
        verbose_name=_("web form"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="duplicates",
    )
    matched_contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("matched contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("converted to company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("converted to contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("converted to deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    # The address a web form submission came from: the per-address limit counts these.
    submitted_ip = models.GenericIPAddressField(_("submitted from"), null=True, blank=True, editable=False)
    # The last call, meeting, note or e-mail logged with the lead (moved forward by
    # lead_touch, outside the audit log): "untouched for N days" reads it.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)
    # Name, pinyin, e-mail, phone digits and company name; written by the services.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [("export_lead", _("Can export leads"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="lead_owner_idx"),
            models.Index(fields=["status", "created_at"], name="lead_status_idx"),
            # Duplicate checks on every web form submission look these up.
            models.Index(fields=["email"], name="lead_email_idx"),
            models.Index(fields=["phone"], name="lead_phone_idx"),
            models.Index(fields=["created_at", "deleted_at", "owner"], name="lead_created_cover_idx"),
            models.Index(fields=["submitted_ip", "created_at"], name="lead_submitted_ip_idx"),
            models.Index(fields=["owner", "last_activity_at"], name="lead_owner_activity_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.status == LeadStatus.DISQUALIFIED and not (self.disqualify_reason or "").strip():
            raise ValidationError({"disqualify_reason": _("Give the reason the lead is disqualified.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AssignmentRule(models.Model):
    """Who gets a new lead that arrives without an owner.

    Rules are tried by position; the first whose conditions all match (an empty
    condition matches anything) gives the lead to its user, or to the next active
    member of its team in turn. ``last_assigned`` is the round-robin position; it is
    read and written under a row lock so two leads created at once go to two people.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("priority"), default=0, help_text=_("Lower numbers are tried first."))
    active = models.BooleanField(_("active"), default=True)
    region = models.CharField(
        _("region"), max_length=100, blank=True, help_text=_("Matches leads whose region contains this text.")
    )
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("round-robin over team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if bool(self.user_id) == bool(self.team_id):
            raise ValidationError(_("Choose either a user or a team to assign to."))


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class WebForm(models.Model):
    """A public form that creates leads: /leads/f/<key>/, or a snippet on any site.

    ``fields`` lists the lead fields the form asks for, in order, each as
    ``{"name", "label_en", "label_zh", "required"}``; a submission may set only
    those. The owner of its leads is ``owner``, else the next member of ``team``,
    else the assignment rules.
    """

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("public key"), max_length=32, unique=True, default=new_form_key, editable=False)
    fields = models.JSONField(_("fields"), default=list)
    title_en = models.CharField(_("heading (English)"), max_length=200, blank=True)
    title_zh = models.CharField(_("heading (Chinese)"), max_length=200, blank=True)
    thank_you_en = models.TextField(_("thank-you text (English)"), blank=True)
    thank_you_zh = models.TextField(_("thank-you text (Chinese)"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new leads"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("round-robin over team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.WEB_FORM)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    tag = models.CharField(_("tag"), max_length=60, blank=True, help_text=_("Added to every lead of this form."))
    active = models.BooleanField(_("active"), default=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name

    def _in_language(self, en: str, zh: str) -> str:
        if (get_language() or "").startswith("zh") and zh:
            return zh
        return en or zh

    @property
    def title(self) -> str:
        return self._in_language(self.title_en, self.title_zh) or self.name

    @property
    def thank_you(self) -> str:
        return self._in_language(self.thank_you_en, self.thank_you_zh)

    def field_label(self, spec: dict) -> str:
        return self._in_language(spec.get("label_en", ""), spec.get("label_zh", ""))
