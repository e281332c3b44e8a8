"""Writes for orders, their lines, payment plans and payments.

Pages, the API, the quote's "Accept" button and the demo all come here, so every rule
holds on every path:

- ``order_create`` numbers the order ``SO-<year>-<000001>`` from ``OrderSequence``,
  whose row is locked (``SELECT … FOR UPDATE``) inside the creating transaction: a
  creation that fails after numbering rolls the counter back with it, so the numbers
  of a year have no gaps and no duplicates however many orders are created at once.
- Lines (and the money fields) change only while the order is a draft. Each line's
  amounts come from ``crm.core.money.line_amounts`` and the order's totals are their
  sums (``document_totals``), never taken from the client.
- ``order_transition`` is the one way the status changes (``models.TRANSITIONS``).
- Payments lock the order row, refuse more than is outstanding on the order (or on the
  instalment named), and keep ``Order.paid_total`` and ``Instalment.paid_amount``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record
from crm.core import services as core
from crm.core.errors import ConflictError, NotFoundError, UnprocessableError, ValidationFailed
from crm.core.money import currency_digits, document_totals, is_valid_currency, line_amounts, money_round
from crm.core.text import clean_text
from crm.core.visibility import visible_to

from .models import (
    BILLED_STATUSES,
    TRANSITIONS,
    Instalment,
    Order,
    OrderLine,
    OrderSequence,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentKind,
    PaymentMethod,
)

LINE_FIELDS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate")
MAX_LINES = 500
MAX_INSTALMENTS = 60
HUNDRED = Decimal("100")
TOTAL_FIELDS = {
    "gross": "gross_total",
    "discount": "discount_total",
    "net": "net_total",
    "tax": "tax_total",
    "total": "total",
}


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def format_money(amount, currency: str) -> str:
    """``amount`` at its currency's precision with thousands separators: 1,234.50 CNY."""
    digits = currency_digits(currency)
    return f"{money_round(amount, currency):,.{digits}f} {currency}"


# Numbers ----------------------------------------------------------------------------
def order_number_next(*, year: int) -> str:
    """The next number of ``year``. Must run inside the transaction that creates the
    order: the counter row stays locked until it commits, and a rollback undoes it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order numbers are given inside the creating transaction")
    OrderSequence.objects.get_or_create(year=year)
    sequence = OrderSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"SO-{year}-{sequence.last:06d}"


# Validation -------------------------------------------------------------------------
def _decimal(value, field: str, errors: dict, *, key: str) -> Decimal | None:
    if isinstance(value, bool):
        value = None
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value is not None and value != "" else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        _add(errors, key, _("Enter a number."))
        return None
    return number


def _product_for(actor, value, errors: dict, key: str):
    if value in (None, ""):
        return None
    from crm.products.models import Product

    pk = value.pk if isinstance(value, Product) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        _add(errors, key, _("Select a valid product."))
        return None
    products = Product.objects.all() if actor is None else visible_to(actor, Product)
    product = products.filter(pk=pk).first()
    if product is None:
        _add(errors, key, _("Select a valid product."))
    return product


def clean_lines(lines, *, currency: str, actor=None) -> list[dict]:
    """Validated lines with their amounts, or ValidationFailed with ``lines.<n>.<field>``
    messages. A product fills in what the line leaves empty (description, unit, price in
    the order's currency, tax rate)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(lines, list | tuple):
        raise ValidationFailed(fields={"lines": [_("Expected a list of lines.")]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(fields={"lines": [_("An order has at most %(max)s lines.") % {"max": MAX_LINES}]})
    language = (translation_language() or "en")[:2]
    cleaned = []
    for n, raw in enumerate(lines):
        prefix = f"lines.{n}."
        if not isinstance(raw, dict):
            _add(errors, f"lines.{n}", _("Expected a line with a description, a quantity and a unit price."))
            continue
        for key in sorted(set(raw) - {*LINE_FIELDS, "position", "id", "amounts"}):
            _add(errors, prefix + key, _("This field cannot be set."))
        product = _product_for(actor, raw.get("product"), errors, prefix + "product")
        description = clean_text(str(raw.get("description") or ""))[:500]
        if not description and product is not None:
            description = product.name_in(language)
        if not description:
            _add(errors, prefix + "description", _("Describe what is sold on this line."))
        unit = clean_text(str(raw.get("unit") or ""))[:20] or (product.unit if product is not None else "")
        price_raw = raw.get("unit_price")
        if price_raw in (None, "") and product is not None and product.currency == currency:
            price_raw = product.list_price
        tax_raw = raw.get("tax_rate")
        if tax_raw in (None, "") and product is not None:
            tax_raw = product.tax_rate
        quantity = _decimal(raw.get("quantity", 1), "quantity", errors, key=prefix + "quantity")
        unit_price = _decimal(price_raw, "unit_price", errors, key=prefix + "unit_price")
        discount = _decimal(
            raw.get("discount_percent") or 0, "discount_percent", errors, key=prefix + "discount_percent"
        )
        tax_rate = _decimal(tax_raw if tax_raw not in (None, "") else 0, "tax_rate", errors, key=prefix + "tax_rate")
        if quantity is not None:
            if quantity <= 0:
                _add(errors, prefix + "quantity", _("The quantity must be more than zero."))
            elif quantity != quantity.quantize(Decimal("0.001")) or quantity >= Decimal("1e11"):
                _add(errors, prefix + "quantity", _("At most 11 digits and 3 decimals."))
        if unit_price is not None:
            if unit_price < 0:
                _add(errors, prefix + "unit_price", _("The unit price cannot be negative."))
            elif unit_price != unit_price.quantize(Decimal("0.0001")) or unit_price >= Decimal("1e15"):
                _add(errors, prefix + "unit_price", _("At most 15 digits and 4 decimals."))
        for key, value in (("discount_percent", discount), ("tax_rate", tax_rate)):
            if value is not None and (value < 0 or value > HUNDRED or value != value.quantize(Decimal("0.01"))):
                _add(errors, prefix + key, _("Enter a percentage between 0 and 100 with at most 2 decimals."))
        if any(k.startswith(prefix) for k in errors):
            continue
        amounts = line_amounts(
            quantity=quantity, unit_price=unit_price, discount_percent=discount, tax_rate=tax_rate, currency=currency
        )
        if abs(amounts["total"]) >= Decimal("1e15"):
            _add(errors, prefix + "quantity", _("This line's amount is too large."))
            continue
        cleaned.append(
            {
                "position": len(cleaned) + 1,
                "product": product,
                "description": description,
                "quantity": quantity,
                "unit": unit,
                "unit_price": unit_price,
                "discount_percent": discount,
                "tax_rate": tax_rate,
                "amounts": amounts,
            }
        )
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def translation_language() -> str:
    from django.utils.translation import get_language

    return get_language() or settings.LANGUAGE_CODE


def _totals(lines: list[dict], currency: str) -> dict:
    sums = document_totals((line["amounts"] for line in lines), currency=currency)
    return {TOTAL_FIELDS[key]: value for key, value in sums.items()}


def _lines_summary(lines) -> list[str]:
    out = []
    for line in lines:
        get = line.get if isinstance(line, dict) else lambda k, _line=line: getattr(_line, k)
        out.append(f"{get('quantity').normalize():f} × {get('description')} @ {get('unit_price').normalize():f}")
    return out


def _write_lines(order: Order, lines: list[dict]) -> None:
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=line["position"],
                product=line["product"],
                description=line["description"],
                quantity=line["quantity"],
                unit=line["unit"],
                unit_price=line["unit_price"],
                discount_percent=line["discount_percent"],
                tax_rate=line["tax_rate"],
                gross=line["amounts"]["gross"],
                discount=line["amounts"]["discount"],
                net=line["amounts"]["net"],
                tax=line["amounts"]["tax"],
                line_total=line["amounts"]["total"],
            )
            for line in lines
        ]
    )


def _existing_lines(order: Order) -> list[dict]:
    return [
        {name: getattr(line, name) for name in LINE_FIELDS if name != "product"} | {"product": line.product_id}
        for line in order.lines.all()
    ]


def _clean_header(data: dict, instance: Order | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for key in sorted(set(cleaned) - set(Order.EDITABLE_FIELDS)):
        _add(errors, key, _("This field cannot be set."))
    for key in ("title", "customer_reference"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if isinstance(cleaned.get("notes"), str):
        cleaned["notes"] = cleaned["notes"].strip()
    if "currency" in cleaned:
        currency = str(cleaned["currency"] or "").strip().upper()
        if not is_valid_currency(currency):
            _add(errors, "currency", _("Enter a three-letter currency code such as CNY or USD."))
        cleaned["currency"] = currency

    def current(name):
        if name in cleaned:
            return cleaned[name]
        return getattr(instance, name, None) if instance is not None else None

    contact = current("contact")
    if contact is not None and current("company") is None and getattr(contact, "company_id", None):
        cleaned["company"] = contact.company
    if current("company") is None and current("contact") is None:
        _add(errors, "company", _("An order is for a company or a contact: choose at least one."))
    if instance is not None and not instance.is_draft:
        for name in sorted(set(cleaned) - set(Order.EDITABLE_AFTER_DRAFT)):
            old = getattr(instance, name)
            if old != cleaned[name]:
                _add(errors, name, _("This cannot change once the order is confirmed."))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _quote_lines(quote) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
        }
        for line in quote.lines.all().order_by("position", "id")
    ]


# Orders -----------------------------------------------------------------------------
def order_create(*, actor, data: dict, lines=None, custom_fields=None, tags=None) -> Order:
    """A draft order, numbered. Without ``lines``, an order made from a quote takes the
    quote's lines."""
    data = _clean_header(data)
    currency = data.get("currency") or settings.DEFAULT_CURRENCY
    data["currency"] = currency
    quote = data.get("quote")
    if lines is None and quote is not None:
        lines = _quote_lines(quote)
    cleaned = clean_lines(list(lines or []), currency=currency, actor=actor)
    order_date = data.get("order_date") or timezone.localdate()
    data["order_date"] = order_date
    with transaction.atomic():
        core.require_perm(actor, Order, "add")
        data["number"] = order_number_next(year=order_date.year)
        order = core.record_create(
            model=Order,
            actor=actor,
            data={**data, **_totals(cleaned, currency)},
            custom_fields=custom_fields,
            tags=tags,
        )
        _write_lines(order, cleaned)
        if cleaned:
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=order,
                changes=[{"field": "lines", "old": None, "new": _lines_summary(cleaned)}],
            )
    return order


def order_update(
    *, instance: Order, actor, data: dict, lines=None, expected_version=None, custom_fields=None, tags=None
) -> Order:
    """Change an order. The lines (``lines``: the whole new list) and the money fields
    change only while it is a draft; a confirmed order keeps title, reference, notes,
    owner and deal editable."""
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=instance.pk)
        core.require_perm(actor, Order, "change")
        core.require_write(actor, current)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        data = _clean_header(data, current)
        if lines is not None and not current.is_draft:
            raise UnprocessableError(_("The lines of an order can only change while it is a draft."))
        currency = data.get("currency", current.currency)
        changed_lines = None
        if lines is not None or currency != current.currency:
            source = lines if lines is not None else _existing_lines(current)
            changed_lines = clean_lines(list(source), currency=currency, actor=actor)
            data.update(_totals(changed_lines, currency))
        before_version = current.version
        before_lines = _lines_summary(current.lines.all()) if changed_lines is not None else None
        order = core.record_update(
            instance=current, actor=actor, data=data, expected_version=None, custom_fields=custom_fields, tags=tags
        )
        if changed_lines is not None:
            after_lines = _lines_summary(changed_lines)
            _write_lines(order, changed_lines)
            if after_lines != before_lines:
                if order.version == before_version:
                    Order.objects.filter(pk=order.pk).update(version=F("version") + 1)
                    order.version += 1
                audit_record(
                    action=Action.UPDATE,
                    actor=actor,
                    instance=order,
                    changes=[{"field": "lines", "old": before_lines, "new": after_lines}],
                )
    return order


def order_set_lines(*, order: Order, actor, lines, expected_version=None) -> Order:
    return order_update(instance=order, actor=actor, data={}, lines=lines, expected_version=expected_version)


def order_delete(*, instance: Order, actor) -> Order:
    """To the recycle bin: a draft or a cancelled order, or one with nothing paid."""
    if instance.status not in (OrderStatus.DRAFT, OrderStatus.CANCELLED) and instance.paid_total:
        raise UnprocessableError(_("An order with payments cannot be deleted; cancel it after refunding them."))
    return core.record_delete(instance=instance, actor=actor)


def order_create_from_quote(*, actor, quote) -> Order:
    """A draft order from an accepted quote: its customer, deal, currency and lines. The
    quotes app's "Accept" button calls this once the quote is accepted; a quote in any
    other status, or one that already has an order that is not cancelled, is refused."""
    from crm.quotes.models import QuoteStatus

    if actor is not None and not visible_to(actor, type(quote)).filter(pk=quote.pk).exists():
        raise NotFoundError()
    if quote.status != QuoteStatus.ACCEPTED:
        raise UnprocessableError(_("Only an accepted quote can become an order."))
    if quote.orders.exclude(status=OrderStatus.CANCELLED).exists():
        raise UnprocessableError(_("This quote already has an order."))
    data = {
        "title": quote.title or str(quote),
        "company": quote.company,
        "contact": quote.contact,
        "deal": quote.deal,
        "quote": quote,
        "currency": quote.currency,
    }
    if actor is not None and quote.owner_id and quote.owner_id != getattr(actor, "pk", None):
        data["owner"] = quote.owner
    return order_create(actor=actor, data={k: v for k, v in data.items() if v is not None})


def payment_days() -> int:
    return int(getattr(settings, "ORDER_PAYMENT_DAYS", 30))


def order_transition(*, order: Order, actor, to_status: str, expected_version=None) -> Order:
    """Move an order to ``to_status`` along ``TRANSITIONS`` (draft → confirmed or
    cancelled, confirmed → shipped or cancelled, shipped → delivered, delivered →
    completed); anything else is refused with 422. Confirming needs at least one line
    and gives an order without a plan one instalment for its total, due in
    ``ORDER_PAYMENT_DAYS`` days. Cancelling is refused while anything is paid (refund
    the payments first). Each move is audited and kept in ``OrderStatusChange``."""
    labels = dict(OrderStatus.choices)
    if to_status not in labels:
        raise ValidationFailed(fields={"status": [_("Unknown status.")]})
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        core.require_perm(actor, Order, "change")
        core.require_write(actor, current)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        if to_status not in TRANSITIONS.get(current.status, ()):
            allowed = ", ".join(str(labels[s]).lower() for s in TRANSITIONS.get(current.status, ())) or _("none")
            raise UnprocessableError(
                _("An order that is %(from)s cannot become %(to)s (possible: %(allowed)s).")
                % {
                    "from": str(labels[current.status]).lower(),
                    "to": str(labels[to_status]).lower(),
                    "allowed": allowed,
                },
                code="transition_not_allowed",
            )
        if to_status == OrderStatus.CONFIRMED and not current.lines.exists():
            raise UnprocessableError(_("Add at least one line before confirming the order."))
        if to_status == OrderStatus.CANCELLED and current.paid_total > 0:
            raise UnprocessableError(
                _("%(paid)s has been paid on this order: refund it before cancelling.")
                % {"paid": format_money(current.paid_total, current.currency)},
                code="order_has_payments",
            )
        now = timezone.now()
        old = current.status
        current.status = to_status
        current.status_changed_at = now
        current.version += 1
        current.save(update_fields=["status", "status_changed_at", "version", "updated_at"])
        OrderStatusChange.objects.create(
            order=current, from_status=old, to_status=to_status, changed_at=now, changed_by=_user(actor)
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[{"field": "status", "old": old, "new": to_status}],
            extra={"transition": True, "at": now.isoformat()},
        )
        if to_status == OrderStatus.CONFIRMED and current.total > 0 and not current.instalments.exists():
            Instalment.objects.create(
                order=current,
                sequence=1,
                label=_("Full amount"),
                due_date=timezone.localdate() + datetime.timedelta(days=payment_days()),
                amount=current.total,
            )
            _allocate(current)
    return current


def _user(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


# Payment plan -----------------------------------------------------------------------
def _amount(value, currency: str, errors: dict, key: str, *, positive=True) -> Decimal | None:
    number = _decimal(value, "amount", errors, key=key)
    if number is None:
        return None
    if positive and number <= 0:
        _add(errors, key, _("The amount must be more than zero."))
        return None
    if number != money_round(number, currency):
        _add(
            errors,
            key,
            _("%(currency)s amounts have at most %(digits)s decimals.")
            % {"currency": currency, "digits": currency_digits(currency)},
        )
        return None
    if number >= Decimal("1e15"):
        _add(errors, key, _("This amount is too large."))
        return None
    return number


def _parse_date(value, errors: dict, key: str):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        _add(errors, key, _("Enter a date (YYYY-MM-DD)."))
        return None


def _lock_billed(order: Order, actor, message) -> Order:
    current = Order.objects.select_for_update().get(pk=order.pk)
    core.require_perm(actor, Order, "change")
    core.require_write(actor, current)
    if current.status not in BILLED_STATUSES:
        raise UnprocessableError(message)
    return current


def order_set_plan(*, order: Order, actor, instalments: list[dict], expected_version=None) -> Order:
    """Replace the payment plan: instalments ``{label, due_date, amount}`` (an ``id``
    keeps an existing one) whose amounts add up exactly to the order's total. An
    instalment that payments were recorded against cannot be dropped."""
    with transaction.atomic():
        current = _lock_billed(order, actor, _("A payment plan is set once the order is confirmed."))
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        if current.status == OrderStatus.CANCELLED:
            raise UnprocessableError(_("A cancelled order has no payment plan."))
        errors: dict[str, list[str]] = {}
        if not isinstance(instalments, list | tuple) or not instalments:
            raise ValidationFailed(fields={"instalments": [_("Give at least one instalment.")]})
        if len(instalments) > MAX_INSTALMENTS:
            raise ValidationFailed(
                fields={"instalments": [_("At most %(max)s instalments.") % {"max": MAX_INSTALMENTS}]}
            )
        existing = {i.pk: i for i in current.instalments.all()}
        rows = []
        for n, raw in enumerate(instalments):
            key = f"instalments.{n}."
            if not isinstance(raw, dict):
                _add(errors, f"instalments.{n}", _("Expected an instalment with a due date and an amount."))
                continue
            for extra in sorted(set(raw) - {"id", "label", "due_date", "amount", "sequence"}):
                _add(errors, key + extra, _("This field cannot be set."))
            pk = raw.get("id")
            if pk not in (None, ""):
                try:
                    pk = int(pk)
                except (TypeError, ValueError):
                    pk = -1
                if pk not in existing:
                    _add(errors, key + "id", _("This instalment is not part of the order."))
            else:
                pk = None
            due = _parse_date(raw.get("due_date"), errors, key + "due_date")
            amount = _amount(raw.get("amount"), current.currency, errors, key + "amount")
            rows.append(
                {"id": pk, "label": clean_text(str(raw.get("label") or ""))[:100], "due_date": due, "amount": amount}
            )
        if not errors:
            total = sum((row["amount"] for row in rows), Decimal("0"))
            if total != current.total:
                _add(
                    errors,
                    "instalments",
                    _("The instalments add up to %(sum)s; they must add up to the order total, %(total)s.")
                    % {
                        "sum": format_money(total, current.currency),
                        "total": format_money(current.total, current.currency),
                    },
                )
        kept = {row["id"] for row in rows if row["id"]}
        dropped = [i for pk, i in existing.items() if pk not in kept]
        if not errors and Payment.objects.filter(instalment__in=dropped).exists():
            _add(errors, "instalments", _("Payments were recorded against an instalment you removed; keep it."))
        if errors:
            raise ValidationFailed(fields=errors)
        before = [f"{i.due_date} {i.amount.normalize():f}" for i in existing.values()]
        Instalment.objects.filter(pk__in=[i.pk for i in dropped]).delete()
        for n, row in enumerate(rows, start=1):
            values = {"sequence": n, "label": row["label"], "due_date": row["due_date"], "amount": row["amount"]}
            if row["id"]:
                Instalment.objects.filter(pk=row["id"]).update(**values)
            else:
                Instalment.objects.create(order=current, **values)
        _allocate(current)
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[
                {
                    "field": "instalments",
                    "old": before,
                    "new": [f"{row['due_date']} {row['amount'].normalize():f}" for row in rows],
                }
            ],
        )
    return current


def _allocate(order: Order) -> None:
    """Spread the order's payments over its instalments and store the result.

    A payment that names an instalment goes to it; the others (and refunds that name
    none) are a pool that covers the instalments in due-date order, each up to what
    the named payments left open. ``Order.paid_total`` is the sum of all payments less
    refunds."""
    instalments = list(current_instalments(order))
    named: dict[int, Decimal] = {}
    pool = Decimal("0")
    paid = Decimal("0")
    for instalment_id, kind, amount in Payment.objects.filter(order=order).values_list(
        "instalment_id", "kind", "amount"
    ):
        signed = -amount if kind == PaymentKind.REFUND else amount
        paid += signed
        if instalment_id is None:
            pool += signed
        else:
            named[instalment_id] = named.get(instalment_id, Decimal("0")) + signed
    for instalment in instalments:
        covered = min(named.get(instalment.pk, Decimal("0")), instalment.amount)
        take = max(min(pool, instalment.amount - covered), Decimal("0"))
        pool -= take
        new = covered + take
        if new != instalment.paid_amount:
            Instalment.objects.filter(pk=instalment.pk).update(paid_amount=new)
            instalment.paid_amount = new
    Order.objects.filter(pk=order.pk).update(paid_total=paid)
    order.paid_total = paid


def current_instalments(order: Order):
    return Instalment.objects.filter(order=order).order_by("due_date", "sequence", "id")


# Payments ---------------------------------------------------------------------------
def payment_record(
    *,
    order: Order,
    actor,
    amount,
    method: str = PaymentMethod.BANK_TRANSFER,
    paid_at=None,
    reference: str = "",
    instalment=None,
    kind: str = PaymentKind.PAYMENT,
) -> Payment:
    """Record money received (or, ``kind="refund"``, given back) for a confirmed,
    shipped, delivered or completed order. The order's row is locked, so two clerks
    recording at once cannot both take the last outstanding amount; a payment larger
    than what is outstanding on the order, or on the instalment it names, is refused
    with the outstanding amount in the message."""
    with transaction.atomic():
        current = _lock_billed(order, actor, _("Payments are recorded once the order is confirmed."))
        currency = current.currency
        errors: dict[str, list[str]] = {}
        if kind not in PaymentKind.values:
            _add(errors, "kind", _("Choose payment or refund."))
        if method not in PaymentMethod.values:
            _add(errors, "method", _("Choose a payment method."))
        value = _amount(amount, currency, errors, "amount")
        reference = clean_text(str(reference or ""))[:100]
        when = paid_at or timezone.now()
        if isinstance(when, datetime.date) and not isinstance(when, datetime.datetime):
            when = timezone.make_aware(datetime.datetime.combine(when, datetime.time(12)))
        if isinstance(when, datetime.datetime) and when > timezone.now() + datetime.timedelta(days=1):
            _add(errors, "paid_at", _("A payment cannot be in the future."))
        target = None
        if instalment not in (None, ""):
            pk = getattr(instalment, "pk", instalment)
            target = Instalment.objects.filter(order=current, pk=pk).first() if str(pk).isdigit() else None
            if target is None:
                _add(errors, "instalment", _("This instalment is not part of the order."))
        if errors:
            raise ValidationFailed(fields=errors)
        if kind == PaymentKind.PAYMENT:
            outstanding = current.total - current.paid_total
            if value > outstanding:
                raise ValidationFailed(
                    _("Only %(amount)s is outstanding on this order.")
                    % {"amount": format_money(outstanding, currency)},
                    fields={
                        "amount": [
                            _("This is more than is outstanding: only %(amount)s is still owed on this order.")
                            % {"amount": format_money(outstanding, currency)}
                        ]
                    },
                )
            if target is not None and value > target.amount - target.paid_amount:
                left = target.amount - target.paid_amount
                raise ValidationFailed(
                    _("Only %(amount)s is outstanding on this instalment.") % {"amount": format_money(left, currency)},
                    fields={
                        "amount": [
                            _("More than is outstanding on the instalment: only %(amount)s is still owed on it.")
                            % {"amount": format_money(left, currency)}
                        ]
                    },
                )
        else:
            refundable = _refundable(current, target)
            if value > refundable:
                raise ValidationFailed(
                    fields={
                        "amount": [
                            _("At most %(amount)s can be refunded.") % {"amount": format_money(refundable, currency)}
                        ]
                    }
                )
        payment = Payment.objects.create(
            order=current,
            instalment=target,
            kind=kind,
            amount=value,
            paid_at=when,
            method=method,
            reference=reference,
            created_by=_user(actor),
        )
        _allocate(current)
        audit_record(
            action=Action.CREATE,
            actor=actor,
            instance=payment,
            object_repr=f"{current.number} {payment}",
            changes=[
                {"field": "order", "old": None, "new": current.number},
                {"field": "kind", "old": None, "new": kind},
                {"field": "amount", "old": None, "new": str(value)},
                {"field": "method", "old": None, "new": method},
                {"field": "paid_at", "old": None, "new": when.isoformat()},
                *([{"field": "instalment", "old": None, "new": str(target)}] if target else []),
                *([{"field": "reference", "old": None, "new": reference}] if reference else []),
            ],
        )
    return payment


def _refundable(order: Order, instalment: Instalment | None, *, excluding=None) -> Decimal:
    """What a refund may give back: what its pool (the instalment named, or the payments
    that named none) holds."""
    rows = Payment.objects.filter(order=order, instalment=instalment)
    if excluding is not None:
        rows = rows.exclude(pk=excluding.pk)
    held = Decimal("0")
    for kind, amount in rows.values_list("kind", "amount"):
        held += -amount if kind == PaymentKind.REFUND else amount
    return held


def payment_delete(*, payment: Payment, actor) -> None:
    """Delete a payment entered by mistake (audited). Refused when what is left would
    not hold together (a refund of it was already recorded)."""
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=payment.order_id)
        core.require_perm(actor, Order, "change")
        core.require_write(actor, current)
        payment = Payment.objects.filter(pk=payment.pk, order=current).first()
        if payment is None:
            raise NotFoundError()
        if payment.kind == PaymentKind.PAYMENT:
            instalment = Instalment.objects.filter(pk=payment.instalment_id).first() if payment.instalment_id else None
            if _refundable(current, instalment, excluding=payment) < 0:
                raise UnprocessableError(_("A refund was recorded against this payment: delete the refund first."))
        audit_record(
            action=Action.DELETE,
            actor=actor,
            instance=payment,
            object_repr=f"{current.number} {payment}",
            changes=[
                {"field": "order", "old": current.number, "new": None},
                {"field": "kind", "old": payment.kind, "new": None},
                {"field": "amount", "old": str(payment.amount), "new": None},
                {"field": "paid_at", "old": payment.paid_at.isoformat(), "new": None},
            ],
        )
        payment.delete()
        _allocate(current)


def order_refuse_merge(order: Order) -> None:
    """Orders are documents with their own numbers, lines and payments: two of them are
    never one (the generic merge would move one's lines and payments onto the other's
    totals). Registered as the merge hook of orders, it undoes any merge of them."""
    raise UnprocessableError(_("Orders cannot be merged: cancel the one entered twice instead."))
