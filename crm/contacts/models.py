from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
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


class Tier(models.TextChoices):
    A = "A", _("Tier A")
    B = "B", _("Tier B")
    C = "C", _("Tier C")
    D = "D", _("Tier D")


class ValueTierFields(models.Model):
    """A customer's value (what they bought and the tier it earns, crm/contacts/tiers.py)
    and when something last happened with them.

    Written only by the tier recomputation and by ``customers_touch``, never by forms,
    the API or imports, and outside the audit log (the tier history is in TierChange;
    each activity is audited itself)."""

    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True, editable=False)
    rfm_recency = models.PositiveSmallIntegerField(_("recency score"), null=True, blank=True, editable=False)
    rfm_frequency = models.PositiveSmallIntegerField(_("frequency score"), null=True, blank=True, editable=False)
    rfm_monetary = models.PositiveSmallIntegerField(_("monetary score"), null=True, blank=True, editable=False)
    lifetime_value = models.DecimalField(
        _("lifetime value"), max_digits=18, decimal_places=2, default=0, editable=False
    )
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True, editable=False)
    # Written by the activities app when something is logged with the customer
    # (services.customers_touch): the "no activity for N days" filter reads it.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True, editable=False)
    tier_computed_at = models.DateTimeField(_("tier computed"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def rfm(self) -> str:
        """R, F and M scores as one code, e.g. "543"."""
        if self.rfm_recency is None:
            return ""
        return f"{self.rfm_recency}{self.rfm_frequency}{self.rfm_monetary}"


class Company(ValueTierFields, CRMRecord):
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
            # The duplicate check before a company is saved looks these up.
            models.Index(
                fields=["registration_number"], name="company_regno_idx", condition=~models.Q(registration_number="")
            ),
            models.Index(fields=["email"], name="company_email_idx", condition=~models.Q(email="")),
            models.Index(fields=["phone"], name="company_phone_idx", condition=~models.Q(phone="")),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="company_created_cover_idx"),
            models.Index(fields=["tier"], name="company_tier_idx", condition=~models.Q(tier="")),
            # Search-as-you-type shows the most recently changed matches first: walking this
            # index backwards finds the first ten of a common word without reading them all.
            models.Index(fields=["updated_at", "id"], name="company_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(ValueTierFields, CRMRecord):
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
            # A web form submission looks its visitor up by phone as well as e-mail.
            models.Index(fields=["phone"], name="contact_phone_idx"),
            # Covers the dashboard's "new per week" counts without reading the table.
            models.Index(fields=["created_at", "deleted_at", "owner"], name="contact_created_cover_idx"),
            models.Index(fields=["tier"], name="contact_tier_idx", condition=~models.Q(tier="")),
            # Search-as-you-type shows the most recently changed matches first: walking this
            # index backwards finds the first ten of a common word without reading them all.
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class TierSettings(models.Model):
    """The administrator's thresholds for the value tiers; one row (pk 1)."""

    window_days = models.PositiveIntegerField(
        _("window (days)"),
        default=365,
        help_text=_("Frequency and monetary value count the purchases of this many past days."),
    )
    recency_days = models.JSONField(
        _("recency thresholds (days)"),
        default=list,
        help_text=_(
            "Four numbers of days, smallest first: a last purchase within the first scores 5, beyond the last scores 1."
        ),
    )
    frequency_counts = models.JSONField(
        _("frequency thresholds (purchases)"),
        default=list,
        help_text=_("Four purchase counts, smallest first: each one reached adds a point to 1."),
    )
    monetary_amounts = models.JSONField(
        _("monetary thresholds (amount)"),
        default=list,
        help_text=_("Four amounts in the default currency, smallest first: each one reached adds a point to 1."),
    )
    tier_a_min = models.PositiveSmallIntegerField(_("tier A from score"), default=13)
    tier_b_min = models.PositiveSmallIntegerField(_("tier B from score"), default=10)
    tier_c_min = models.PositiveSmallIntegerField(_("tier C from score"), default=7)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    DEFAULTS = {
        "recency_days": [30, 90, 180, 365],
        "frequency_counts": [2, 3, 5, 10],
        "monetary_amounts": ["10000", "50000", "200000", "1000000"],
    }

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")

    def __str__(self) -> str:
        return str(_("Value tier settings"))


class TierChange(models.Model):
    """One change of a customer's tier, kept as its history."""

    content_type = models.ForeignKey(ContentType, verbose_name=_("record type"), on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField(_("record id"))
    old_tier = models.CharField(_("old tier"), max_length=1, choices=Tier.choices, blank=True)
    new_tier = models.CharField(_("new tier"), max_length=1, choices=Tier.choices, blank=True)
    rfm = models.CharField(_("RFM scores"), max_length=3, blank=True)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [models.Index(fields=["content_type", "object_id", "changed_at"], name="tierchange_record_idx")]

    def __str__(self) -> str:
        return f"{self.old_tier or '—'} → {self.new_tier or '—'}"
