from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord
from crm.core.text import looks_like_uscc, uscc_is_valid


def validate_registration_number(value: str) -> None:
    """A unified social credit code (18 characters of its alphabet) must carry the right
    check character; other registration numbers are taken as they are."""
    if looks_like_uscc(value) and not uscc_is_valid(value):
        raise ValidationError(
            _("This unified social credit code is not valid: its check character does not match."),
            code="uscc_check",
        )


class DisplayList(list):
    """A list that prints as "a, b" on pages (the detail page prints values as they are)."""

    def __str__(self) -> str:
        return ", ".join(str(item) for item in self)


class ListJSONField(models.JSONField):
    """A JSON list of strings, read back as a DisplayList."""

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return DisplayList(value) if isinstance(value, list) else value


class CompanySize(models.TextChoices):
    XS = "1-10", _("1-10 employees")
    S = "11-50", _("11-50 employees")
    M = "51-200", _("51-200 employees")
    L = "201-1000", _("201-1000 employees")
    XL = "1000+", _("More than 1000 employees")


class CompanySource(models.TextChoices):
    WEB = "web", _("Website")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    ADVERTISING = "advertising", _("Advertising")
    COLD_CALL = "cold_call", _("Cold call")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Company(CRMRecord):
    # The fields people edit, in the order forms, pages and the API show them.
    EDITABLE_FIELDS = (
        "name",
        "registration_number",
        "industry",
        "size",
        "source",
        "parent",
        "phone",
        "email",
        "website",
        "region",
        "address",
        "owner",
    )

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(
        _("registration number"),
        max_length=40,
        blank=True,
        validators=[validate_registration_number],
        help_text=_("Unified social credit code (18 characters) or another registration number."),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, help_text=_("For example 华东 or East China."))
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=CompanySource.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    # Every form a user may search the company by (name, pinyin, code, phone digits);
    # written by the services, see crm/core/text.py.
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        permissions = [("export_company", _("Can export companies"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="company_owner_idx"),
            models.Index(fields=["name"], name="company_name_idx"),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="company_created_cover_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(CRMRecord):
    # The fields people edit, in the order forms, pages and the API show them.
    EDITABLE_FIELDS = (
        "name",
        "title",
        "company",
        "email",
        "phone",
        "emails",
        "phones",
        "birthday",
        "preferred_language",
        "marketing_consent",
        "consent_date",
        "consent_source",
        "owner",
    )

    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phones = ListJSONField(_("other phones"), default=list, blank=True)
    emails = ListJSONField(_("other e-mails"), default=list, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    consent_date = models.DateField(
        _("consent date"), null=True, blank=True, help_text=_("When consent was given or withdrawn.")
    )
    consent_source = models.CharField(
        _("consent source"), max_length=100, blank=True, help_text=_("For example: web form, trade fair, phone call.")
    )
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = [("export_contact", _("Can export contacts"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="contact_owner_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="contact_created_cover_idx"),
        ]

    def __str__(self) -> str:
        return self.name
