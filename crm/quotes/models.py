"""Quotes: versioned offers with lines, an approval step for large discounts, and a PDF.

``number`` (``Q2026-00042``) names a quote across its versions; ``revision`` is the
version number (1, 2, …) and ``previous`` points at the version it revises. (The
inherited ``version`` column is the optimistic-locking counter every record has.)
Amounts are computed by ``crm.core.money.line_amounts`` per line and summed into the
quote's totals by the services, never taken from the client. See docs/quotes.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import CRMRecord
from crm.core.money import MoneyField

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEEDS_APPROVAL = "needs_approval", _("Needs approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")


# Statuses in which the quote's content may still be edited in place.
EDITABLE_STATUSES = frozenset({QuoteStatus.DRAFT, QuoteStatus.NEEDS_APPROVAL})
# Statuses from which "Revise" makes a new version.
REVISABLE_STATUSES = frozenset(
    {QuoteStatus.APPROVED, QuoteStatus.REJECTED, QuoteStatus.SENT, QuoteStatus.DECLINED, QuoteStatus.EXPIRED}
)


class Quote(CRMRecord):
    EDITABLE_FIELDS = (
        "title",
        "deal",
        "company",
        "contact",
        "currency",
        "valid_until",
        "terms",
        "language",
        "notes",
        "owner",
    )

    number = models.CharField(_("number"), max_length=20, editable=False, db_index=True)
    revision = models.PositiveIntegerField(_("quote version"), default=1, editable=False)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("revises"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="revisions",
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    status = models.CharField(
        _("status"), max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT, editable=False
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    notes = models.TextField(_("internal notes"), blank=True)
    language = models.CharField(_("PDF language"), max_length=10, choices=settings.LANGUAGES, default="en")

    gross_total = MoneyField(_("gross"), default=Decimal("0"), editable=False)
    discount_total = MoneyField(_("discount"), default=Decimal("0"), editable=False)
    net_total = MoneyField(_("net"), default=Decimal("0"), editable=False)
    tax_total = MoneyField(_("tax"), default=Decimal("0"), editable=False)
    total = MoneyField(_("total"), default=Decimal("0"), editable=False)
    max_discount_percent = models.DecimalField(
        _("largest line discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), editable=False
    )

    # Approval (crm/quotes/approvals.py).
    approval_required = models.BooleanField(_("needs approval"), default=False, editable=False)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_comment = models.TextField(_("approval comment"), blank=True, editable=False)

    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("accepted or declined"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        # Approving is not a permission: it follows the team tree (crm/quotes/approvals.py).
        permissions = [("export_quote", _("Can export quotes"))]
        constraints = [models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_unique")]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="quote_owner_idx"),
            models.Index(fields=["status"], name="quote_status_idx"),
            models.Index(fields=["deal", "created_at"], name="quote_deal_idx"),
            models.Index(fields=["company", "created_at"], name="quote_company_idx"),
            models.Index(fields=["contact", "created_at"], name="quote_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return self.number if self.revision == 1 else f"{self.number}-v{self.revision}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_revisable(self) -> bool:
        return self.status in REVISABLE_STATUSES


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = MoneyField(_("unit price"), validators=[MinValueValidator(Decimal("0"))])
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT_VALIDATORS
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT_VALIDATORS
    )
    # Where the unit price came from when picked (crm.products.pricing.price_for), for the record.
    price_source = models.CharField(_("price source"), max_length=200, blank=True)

    gross = MoneyField(_("gross"), default=Decimal("0"))
    discount = MoneyField(_("discount"), default=Decimal("0"))
    net = MoneyField(_("net"), default=Decimal("0"))
    tax = MoneyField(_("tax"), default=Decimal("0"))
    total = MoneyField(_("total"), default=Decimal("0"))

    class Meta:
        ordering = ["quote", "position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return self.description


def quote_logo_path(instance, filename: str) -> str:
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"quotes/logo-{uuid.uuid4().hex[:12]}.{ext}"


class QuoteSettings(models.Model):
    """One row: the approval threshold and the seller's details printed on every PDF."""

    max_discount_without_approval = models.DecimalField(
        _("largest line discount without approval (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=PERCENT_VALIDATORS,
    )
    default_validity_days = models.PositiveSmallIntegerField(
        _("quotes valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    default_terms = models.TextField(_("default terms"), blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company_name_zh = models.CharField(_("company name (Chinese)"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    address_zh = models.TextField(_("address (Chinese)"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    logo = models.ImageField(_("logo"), upload_to=quote_logo_path, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quote settings")
        verbose_name_plural = _("quote settings")

    def __str__(self) -> str:
        return str(_("Quote settings"))

    @classmethod
    def load(cls) -> QuoteSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()
