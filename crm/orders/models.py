"""Orders, their lines, payment plans (instalments) and payments.

An order is what a customer bought: a number ``SO-<year>-<000001>`` given once, gap-free
per year (``OrderSequence``); lines whose amounts follow ``crm.core.money.line_amounts``
and are stored, with the order's totals their sums; a status that moves only along
``TRANSITIONS`` (``crm.orders.services.order_transition``); a payment plan whose
instalments add up to the total; and payments. ``paid_total`` on the order and
``paid_amount`` on each instalment are kept by the payment services under the order's
row lock, so receivables are aggregate queries, not a replay of every payment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import CRMRecord
from crm.core.money import MoneyField


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The only moves an order's status may make (crm.orders.services.order_transition).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.DRAFT: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (OrderStatus.COMPLETED,),
    OrderStatus.COMPLETED: (),
    OrderStatus.CANCELLED: (),
}
# Orders the customer owes money for and that count as purchases.
BILLED_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


class OrderSequence(models.Model):
    """The last number given per year; its row is locked while an order is numbered."""

    year = models.PositiveIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("order number sequence")
        verbose_name_plural = _("order number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Order(CRMRecord):
    EDITABLE_FIELDS = (
        "title",
        "company",
        "contact",
        "deal",
        "quote",
        "currency",
        "order_date",
        "customer_reference",
        "notes",
        "owner",
    )
    # What may still change once the order is confirmed (the lines and money may not).
    EDITABLE_AFTER_DRAFT = ("title", "customer_reference", "notes", "owner", "deal")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, help_text=_("What the customer ordered, in a few words."))
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    quote = models.ForeignKey(
        "quotes.Quote", verbose_name=_("quote"), on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    customer_reference = models.CharField(
        _("customer reference"), max_length=100, blank=True, help_text=_("The customer's purchase order number.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT, editable=False
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    gross_total = MoneyField(_("gross"), default=0, editable=False)
    discount_total = MoneyField(_("discount"), default=0, editable=False)
    net_total = MoneyField(_("net"), default=0, editable=False)
    tax_total = MoneyField(_("tax"), default=0, editable=False)
    total = MoneyField(_("total"), default=0, editable=False)
    paid_total = MoneyField(_("paid"), default=0, editable=False)

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = pgettext_lazy("sales order", "order")
        verbose_name_plural = _("orders")
        permissions = [("export_order", _("Can export orders"))]
        indexes = [
            models.Index(fields=["owner", "deleted_at"], name="order_owner_idx"),
            models.Index(fields=["company", "order_date"], name="order_company_idx"),
            models.Index(fields=["contact", "order_date"], name="order_contact_idx"),
            models.Index(fields=["deal"], name="order_deal_idx"),
            models.Index(fields=["status", "order_date"], name="order_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", args=[self.pk])

    @property
    def outstanding(self):
        if self.status not in BILLED_STATUSES:
            return self.total * 0
        return self.total - self.paid_total

    @property
    def total_display(self) -> str:
        from .services import format_money

        return format_money(self.total, self.currency)

    @property
    def outstanding_display(self) -> str:
        from .services import format_money

        return format_money(self.outstanding, self.currency)

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def allowed_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=pgettext_lazy("sales order", "order"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=1)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = MoneyField(_("unit price"), default=0)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=0)
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2, default=0)
    gross = MoneyField(_("gross"), default=0, editable=False)
    discount = MoneyField(_("discount"), default=0, editable=False)
    net = MoneyField(_("net"), default=0, editable=False)
    tax = MoneyField(_("tax"), default=0, editable=False)
    line_total = MoneyField(_("total"), default=0, editable=False)

    class Meta:
        ordering = ["order", "position", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return self.description


class Instalment(models.Model):
    """One due amount of an order's payment plan (an invoice)."""

    order = models.ForeignKey(
        Order, verbose_name=pgettext_lazy("sales order", "order"), on_delete=models.CASCADE, related_name="instalments"
    )
    sequence = models.PositiveIntegerField(_("number"), default=1)
    label = models.CharField(pgettext_lazy("instalment", "label"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))
    # What the order's payments cover of it (crm.orders.services allocates them).
    paid_amount = MoneyField(_("paid"), default=0, editable=False)

    class Meta:
        ordering = ["order", "due_date", "sequence", "id"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        indexes = [
            models.Index(fields=["due_date"], name="instalment_due_idx"),
            # Receivables read only the instalments not fully paid (crm/orders/selectors.py);
            # on PostgreSQL the index covers what the aging sums.
            models.Index(
                fields=["due_date", "order"],
                include=["amount", "paid_amount"],
                condition=models.Q(paid_amount__lt=models.F("amount")),
                name="instalment_overdue_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"#{self.sequence}"

    @property
    def outstanding(self):
        return self.amount - self.paid_amount


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    OTHER = "other", _("Other")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")


class Payment(models.Model):
    """Money received for an order (or, as a refund, given back). ``amount`` is always
    positive; a refund lowers what was paid."""

    order = models.ForeignKey(
        Order, verbose_name=pgettext_lazy("sales order", "order"), on_delete=models.CASCADE, related_name="payments"
    )
    instalment = models.ForeignKey(
        Instalment,
        verbose_name=_("instalment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    amount = MoneyField(_("amount"))
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    method = models.CharField(
        _("method"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["order", "paid_at", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["order", "paid_at"], name="payment_order_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.order.currency}"

    @property
    def signed_amount(self):
        return -self.amount if self.kind == PaymentKind.REFUND else self.amount


class OrderStatusChange(models.Model):
    """Every status an order moved through, with when and by whom (also in the audit log)."""

    order = models.ForeignKey(
        Order,
        verbose_name=pgettext_lazy("sales order", "order"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(pgettext_lazy("order status", "from"), max_length=20, choices=OrderStatus.choices)
    to_status = models.CharField(pgettext_lazy("order status", "to"), max_length=20, choices=OrderStatus.choices)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["order", "changed_at", "id"]
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
