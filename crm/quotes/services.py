"""Writes for quotes: create, edit (drafts only), revise, submit, send, accept, decline.

Every amount is computed here with ``crm.core.money.line_amounts`` from the lines'
quantity, unit price, discount and tax rate; totals are the sums of the rounded lines
(``document_totals``). Client-side totals are never read. Approval lives in approvals.py.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record
from crm.core import services as core
from crm.core.errors import ConflictError, UnprocessableError, ValidationFailed
from crm.core.money import MONEY_DECIMAL_PLACES, document_totals, is_valid_currency, line_amounts
from crm.core.text import clean_text
from crm.core.visibility import visible_to

from . import approvals
from .models import EDITABLE_STATUSES, REVISABLE_STATUSES, Quote, QuoteLine, QuoteSettings, QuoteStatus

MAX_LINES = 500
# Keys a client may send back as it read them; they are recomputed, never read.
COMPUTED_LINE_KEYS = {"id", "position", "price_source", "gross", "discount", "net", "tax", "total"}
LINE_FIELDS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate")
TOTAL_FIELDS = {"gross": "gross_total", "discount": "discount_total", "net": "net_total", "tax": "tax_total"}
MAX_QUANTITY = Decimal("99999999999.999")
MAX_PRICE = Decimal("9999999999999999.9999")


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _decimal(value, *, places: int, minimum: Decimal, maximum: Decimal, errors: dict, field: str):
    if value is None or value == "":
        _add(errors, field, _("This field is required."))
        return None
    if isinstance(value, float | bool):
        value = str(value) if isinstance(value, float) else None
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value is not None else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        _add(errors, field, _("Enter a number."))
        return None
    if number.as_tuple().exponent < -places:
        _add(errors, field, _("Use at most %(places)d decimal places.") % {"places": places})
        return None
    if number < minimum or number > maximum:
        _add(
            errors,
            field,
            _("Enter a number from %(min)s to %(max)s.") % {"min": minimum.normalize(), "max": maximum.normalize()},
        )
        return None
    return number


def clean_lines(*, actor, lines, currency: str) -> list[QuoteLine]:
    """Validated, unsaved QuoteLine objects with their amounts; per-line errors are keyed
    ``lines.<index>.<field>`` and raised together as ValidationFailed."""
    from crm.products.models import Product

    errors: dict[str, list[str]] = {}
    if not isinstance(lines, list | tuple):
        raise ValidationFailed(fields={"lines": [_("Give the lines as a list.")]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(fields={"lines": [_("A quote has at most %(n)d lines.") % {"n": MAX_LINES}]})
    product_ids = set()
    for raw in lines:
        if isinstance(raw, dict):
            value = raw.get("product")
            pk = value.pk if hasattr(value, "pk") else value
            if isinstance(pk, int) and not isinstance(pk, bool):
                product_ids.add(pk)
            elif isinstance(pk, str) and pk.isdigit():
                product_ids.add(int(pk))
    products = {}
    if product_ids:
        products = (
            {p.pk: p for p in visible_to(actor, Product).filter(pk__in=product_ids)}
            if actor
            else {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}
        )
    result: list[QuoteLine] = []
    for index, raw in enumerate(lines):
        prefix = f"lines.{index}."
        if not isinstance(raw, dict):
            _add(errors, f"lines.{index}", _("Each line must be an object."))
            continue
        for key in sorted(set(raw) - {*LINE_FIELDS, *COMPUTED_LINE_KEYS}):
            _add(errors, prefix + key, _("This field cannot be set."))
        product = None
        value = raw.get("product")
        if value not in (None, ""):
            pk = value.pk if hasattr(value, "pk") else value
            if isinstance(pk, str) and pk.isdigit():
                pk = int(pk)
            product = products.get(pk) if isinstance(pk, int) and not isinstance(pk, bool) else None
            if product is None:
                _add(errors, prefix + "product", _("Select a valid product."))
        description = raw.get("description")
        description = clean_text(description) if isinstance(description, str) else ""
        if not description and product is not None:
            description = product.name_in("en")
        if not description:
            _add(errors, prefix + "description", _("Describe the line or pick a product."))
        elif len(description) > 500:
            _add(errors, prefix + "description", _("At most 500 characters."))
        unit = raw.get("unit")
        unit = clean_text(unit)[:20] if isinstance(unit, str) else ""
        if not unit and product is not None:
            unit = product.unit
        quantity = _decimal(
            raw.get("quantity"),
            places=3,
            minimum=Decimal("0.001"),
            maximum=MAX_QUANTITY,
            errors=errors,
            field=prefix + "quantity",
        )
        unit_price = _decimal(
            raw.get("unit_price"),
            places=MONEY_DECIMAL_PLACES,
            minimum=Decimal("0"),
            maximum=MAX_PRICE,
            errors=errors,
            field=prefix + "unit_price",
        )
        discount = raw.get("discount_percent")
        discount = _decimal(
            "0" if discount in (None, "") else discount,
            places=2,
            minimum=Decimal("0"),
            maximum=Decimal("100"),
            errors=errors,
            field=prefix + "discount_percent",
        )
        tax = raw.get("tax_rate")
        if tax in (None, "") and product is not None:
            tax = product.tax_rate
        tax = _decimal(
            "0" if tax in (None, "") else tax,
            places=2,
            minimum=Decimal("0"),
            maximum=Decimal("100"),
            errors=errors,
            field=prefix + "tax_rate",
        )
        source = raw.get("price_source")
        if None in (quantity, unit_price, discount, tax):
            continue
        amounts = line_amounts(
            quantity=quantity, unit_price=unit_price, discount_percent=discount, tax_rate=tax, currency=currency
        )
        if amounts["total"].adjusted() >= 16:
            _add(errors, prefix + "quantity", _("The amount of this line is too large."))
            continue
        result.append(
            QuoteLine(
                position=len(result) + 1,
                product=product,
                description=description,
                quantity=quantity,
                unit=unit,
                unit_price=unit_price,
                discount_percent=discount,
                tax_rate=tax,
                price_source=clean_text(source)[:200] if isinstance(source, str) else "",
                **amounts,
            )
        )
    if errors:
        raise ValidationFailed(fields=errors)
    return result


def totals_of(lines: list[QuoteLine], *, currency: str) -> dict:
    sums = document_totals(
        ({k: getattr(line, k) for k in ("gross", "discount", "net", "tax", "total")} for line in lines),
        currency=currency,
    )
    values = {TOTAL_FIELDS.get(k, k): v for k, v in sums.items()}
    values["max_discount_percent"] = max((line.discount_percent for line in lines), default=Decimal("0"))
    return values


def _line_signature(lines) -> list[tuple]:
    return [
        (ln.product_id, ln.description, ln.quantity, ln.unit, ln.unit_price, ln.discount_percent, ln.tax_rate)
        for ln in lines
    ]


def _line_log(lines) -> list[str]:
    def plain(value) -> str:
        return f"{value.normalize():f}"

    return [
        f"{ln.description} × {plain(ln.quantity)} @ {plain(ln.unit_price)} -{plain(ln.discount_percent)}%"
        for ln in lines
    ]


def _clean_header(data: dict, instance: Quote | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for key in sorted(set(cleaned) - set(Quote.EDITABLE_FIELDS)):
        _add(errors, key, _("This field cannot be set."))
    for key in ("title",):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if isinstance(cleaned.get("currency"), str):
        cleaned["currency"] = cleaned["currency"].strip().upper()
        if not is_valid_currency(cleaned["currency"]):
            _add(errors, "currency", _("Enter a three-letter currency code such as CNY."))
    deal = cleaned.get("deal", getattr(instance, "deal", None))
    company = cleaned.get("company", getattr(instance, "company", None))
    contact = cleaned.get("contact", getattr(instance, "contact", None))
    if instance is None:
        if deal is not None and "company" not in cleaned and deal.company_id:
            cleaned["company"] = company = deal.company
        if contact is not None and "company" not in cleaned and contact.company_id:
            cleaned["company"] = company = contact.company
        if "language" not in cleaned and contact is not None and contact.preferred_language:
            cleaned["language"] = contact.preferred_language
        if "currency" not in cleaned and deal is not None:
            cleaned["currency"] = deal.currency
    if not (deal or company or contact):
        _add(errors, "__all__", _("Link the quote to a deal, a company or a contact."))
    if contact is not None and company is not None and contact.company_id and contact.company_id != company.pk:
        _add(errors, "contact", _("This contact works for another company."))
    if deal is not None and company is not None and deal.company_id and deal.company_id != company.pk:
        _add(errors, "company", _("The deal belongs to another company."))
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _next_number(year: int) -> str:
    prefix = f"Q{year}-"
    last = Quote.all_objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{seq:05d}"


def _approval_fields(quote_owner, max_discount: Decimal, threshold: Decimal) -> dict:
    required = approvals.needs_approval(max_discount, threshold=threshold)
    return {
        "approval_required": required,
        "status": QuoteStatus.NEEDS_APPROVAL if required else QuoteStatus.DRAFT,
        "approver": approvals.approver_for(quote_owner) if required else None,
    }


def quote_create(*, actor, data: dict, lines=(), custom_fields=None, tags=None) -> Quote:
    """A new quote (version 1, a new number) with its lines; it needs approval when a
    line's discount is above the threshold."""
    data = _clean_header(data)
    settings_row = QuoteSettings.load()
    currency = data.get("currency") or Quote._meta.get_field("currency").default
    data["currency"] = currency
    if "valid_until" not in data or data["valid_until"] is None:
        data["valid_until"] = timezone.localdate() + datetime.timedelta(days=settings_row.default_validity_days)
    if not data.get("terms"):
        data["terms"] = settings_row.default_terms
    new_lines = clean_lines(actor=actor, lines=list(lines), currency=currency)
    totals = totals_of(new_lines, currency=currency)
    owner = data.get("owner") or actor
    computed = {
        **totals,
        **_approval_fields(owner, totals["max_discount_percent"], settings_row.max_discount_without_approval),
    }
    year = timezone.localdate().year
    for attempt in range(5):
        try:
            with transaction.atomic():
                quote = core.record_create(
                    model=Quote,
                    actor=actor,
                    data={**data, **computed, "number": _next_number(year), "revision": 1},
                    custom_fields=custom_fields,
                    tags=tags,
                )
                _save_lines(quote, new_lines)
                if new_lines:
                    audit_record(
                        action=Action.UPDATE,
                        actor=actor,
                        instance=quote,
                        changes=[{"field": "lines", "old": None, "new": _line_log(new_lines)}],
                    )
                if quote.status == QuoteStatus.NEEDS_APPROVAL:
                    approvals.on_needs_approval(quote, actor=actor)
            return quote
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _save_lines(quote: Quote, lines: list[QuoteLine]) -> None:
    QuoteLine.objects.filter(quote=quote).delete()
    for position, line in enumerate(lines, start=1):
        line.quote = quote
        line.position = position
        line.pk = None
    QuoteLine.objects.bulk_create(lines)


def _require_editable(quote: Quote) -> None:
    if quote.status == QuoteStatus.SUPERSEDED:
        newest = Quote.objects.filter(number=quote.number).order_by("-revision").first()
        raise UnprocessableError(
            _("This version was superseded by %(newest)s and is read-only; edit the newest version.")
            % {"newest": newest.display_number if newest else quote.number},
            code="superseded",
        )
    if quote.status not in EDITABLE_STATUSES:
        raise UnprocessableError(
            _("A quote that is %(status)s cannot be edited; revise it to make a new version.")
            % {"status": quote.get_status_display().lower()},
            code="not_editable",
        )


def quote_update(
    *, instance: Quote, actor, data: dict, lines=None, expected_version=None, custom_fields=None, tags=None
) -> Quote:
    """Edit a draft (or a quote waiting for approval) in place; ``lines`` (when given)
    replace the lines. The totals and the approval state are recomputed."""
    core.require_perm(actor, Quote, "change")
    with transaction.atomic():
        current = Quote.objects.select_for_update().get(pk=instance.pk)
        core.require_write(actor, current)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        _require_editable(current)
        data = _clean_header(data, current)
        currency = data.get("currency", current.currency)
        old_lines = list(current.lines.all())
        if lines is None:
            if currency != current.currency:
                lines = [
                    {k: getattr(ln, k) for k in LINE_FIELDS if k != "product"} | {"product": ln.product_id}
                    for ln in old_lines
                ]
            else:
                new_lines = None
        if lines is not None:
            new_lines = clean_lines(actor=actor, lines=list(lines), currency=currency)
        effective = new_lines if new_lines is not None else old_lines
        totals = totals_of(effective, currency=currency)
        owner = data.get("owner", current.owner)
        threshold = QuoteSettings.load().max_discount_without_approval
        computed = {**totals, **_approval_fields(owner, totals["max_discount_percent"], threshold)}
        if current.status == QuoteStatus.NEEDS_APPROVAL and computed["status"] == QuoteStatus.NEEDS_APPROVAL:
            computed.pop("approver")  # keep who was asked
        was_waiting = current.status == QuoteStatus.NEEDS_APPROVAL
        version_before = current.version
        quote = core.record_update(
            instance=current,
            actor=actor,
            data={**data, **computed},
            custom_fields=custom_fields,
            tags=tags,
        )
        if new_lines is not None and _line_signature(new_lines) != _line_signature(old_lines):
            _save_lines(quote, new_lines)
            if quote.version == version_before:
                quote.version += 1
                Quote.objects.filter(pk=quote.pk).update(version=quote.version, updated_at=timezone.now())
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                instance=quote,
                changes=[{"field": "lines", "old": _line_log(old_lines), "new": _line_log(new_lines)}],
            )
        if quote.status == QuoteStatus.NEEDS_APPROVAL and not was_waiting:
            approvals.on_needs_approval(quote, actor=actor)
    return quote


def quote_delete(*, instance: Quote, actor) -> Quote:
    return core.record_delete(instance=instance, actor=actor)


def _set_status(*, quote: Quote, actor, status: str, extra_fields: dict | None = None, extra: dict | None = None):
    old = quote.status
    quote.status = status
    fields = ["status", "version", "updated_at"]
    for name, value in (extra_fields or {}).items():
        setattr(quote, name, value)
        fields.append(name)
    quote.version += 1
    quote.save(update_fields=fields)
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        instance=quote,
        changes=[{"field": "status", "old": old, "new": status}],
        extra=extra,
    )
    return quote


def _lock_for_action(quote: Quote, actor, expected_version=None) -> Quote:
    core.require_perm(actor, Quote, "change")
    current = Quote.objects.select_for_update().get(pk=quote.pk)
    core.require_write(actor, current)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError()
    if current.status == QuoteStatus.SUPERSEDED:
        _require_editable(current)
    return current


def quote_revise(*, quote: Quote, actor, expected_version=None) -> Quote:
    """Version n+1: a draft copy of a sent, approved, rejected, declined or expired quote,
    pointing at it; the old version becomes superseded and read-only."""
    with transaction.atomic():
        current = _lock_for_action(quote, actor, expected_version)
        if current.status in EDITABLE_STATUSES:
            raise UnprocessableError(_("This quote is still a draft: edit it instead of revising it."))
        if current.status not in REVISABLE_STATUSES:
            raise UnprocessableError(
                _("A quote that is %(status)s cannot be revised.") % {"status": current.get_status_display().lower()}
            )
        revision = (Quote.all_objects.filter(number=current.number).aggregate(m=Max("revision"))["m"] or 0) + 1
        data = {name: getattr(current, name) for name in Quote.EDITABLE_FIELDS}
        lines = list(current.lines.all())
        settings_row = QuoteSettings.load()
        if data["valid_until"] is None or data["valid_until"] < timezone.localdate():
            data["valid_until"] = timezone.localdate() + datetime.timedelta(days=settings_row.default_validity_days)
        totals = totals_of(lines, currency=current.currency)
        computed = {
            **totals,
            **_approval_fields(
                current.owner, totals["max_discount_percent"], settings_row.max_discount_without_approval
            ),
        }
        new = core.record_create(
            model=Quote,
            actor=actor,
            data={**data, **computed, "number": current.number, "revision": revision, "previous": current},
            custom_fields=current.custom_fields,
            tags=list(current.tags.values_list("name", flat=True)),
        )
        copies = [
            QuoteLine(
                **{
                    f.attname: getattr(ln, f.attname)
                    for f in QuoteLine._meta.concrete_fields
                    if f.name not in {"id", "quote"}
                }
            )
            for ln in lines
        ]
        _save_lines(new, copies)
        _set_status(quote=current, actor=actor, status=QuoteStatus.SUPERSEDED, extra={"superseded_by": new.pk})
        if new.status == QuoteStatus.NEEDS_APPROVAL:
            approvals.on_needs_approval(new, actor=actor)
    return new


def quote_submit(*, quote: Quote, actor, expected_version=None) -> Quote:
    """Ask for approval again (re-notifies the approver); a quote that needs none gets 422."""
    with transaction.atomic():
        current = _lock_for_action(quote, actor, expected_version)
        if current.status == QuoteStatus.NEEDS_APPROVAL:
            approver = approvals.approver_for(current.owner)
            if approver is not None and approver.pk != current.approver_id:
                current.approver = approver
                current.save(update_fields=["approver", "updated_at"])
            approvals.on_needs_approval(current, actor=actor)
            return current
        if current.status == QuoteStatus.DRAFT:
            raise UnprocessableError(_("This quote needs no approval: its discounts are within the limit."))
        raise UnprocessableError(
            _("A quote that is %(status)s cannot be submitted for approval.")
            % {"status": current.get_status_display().lower()}
        )


def quote_send(*, quote: Quote, actor, expected_version=None) -> Quote:
    """Mark the quote sent (a draft needing no approval, or an approved quote)."""
    with transaction.atomic():
        current = _lock_for_action(quote, actor, expected_version)
        approvals.require_cleared(current, doing="send")
        if current.status == QuoteStatus.SENT:
            return current
        if current.status not in {QuoteStatus.DRAFT, QuoteStatus.APPROVED}:
            raise UnprocessableError(
                _("A quote that is %(status)s cannot be sent.") % {"status": current.get_status_display().lower()}
            )
        if not current.lines.exists():
            raise UnprocessableError(_("Add at least one line before sending the quote."))
        return _set_status(
            quote=current, actor=actor, status=QuoteStatus.SENT, extra_fields={"sent_at": timezone.now()}
        )


def quote_accept(*, quote: Quote, actor, expected_version=None):
    """The customer accepted: the quote is accepted and, with the orders app, becomes an
    order (all or nothing). Returns (quote, order or None)."""
    order = None
    with transaction.atomic():
        current = _lock_for_action(quote, actor, expected_version)
        approvals.require_cleared(current, doing="accept")
        if current.status not in {QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT}:
            raise UnprocessableError(
                _("A quote that is %(status)s cannot be accepted.") % {"status": current.get_status_display().lower()}
            )
        if not current.lines.exists():
            raise UnprocessableError(_("A quote without lines cannot be accepted."))
        current = _set_status(
            quote=current, actor=actor, status=QuoteStatus.ACCEPTED, extra_fields={"closed_at": timezone.now()}
        )
        create_order = orders_hook()
        if create_order is not None:
            order = create_order(actor=actor, quote=current)
    return current, order


def orders_hook():
    """``crm.orders.services.order_create_from_quote`` when the orders app is installed."""
    if not apps.is_installed("crm.orders"):
        return None
    try:
        from crm.orders.services import order_create_from_quote
    except ImportError:
        return None
    return order_create_from_quote


def quote_decline(*, quote: Quote, actor, reason: str = "", expected_version=None) -> Quote:
    with transaction.atomic():
        current = _lock_for_action(quote, actor, expected_version)
        if current.status not in {QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT}:
            raise UnprocessableError(
                _("A quote that is %(status)s cannot be declined.") % {"status": current.get_status_display().lower()}
            )
        return _set_status(
            quote=current,
            actor=actor,
            status=QuoteStatus.DECLINED,
            extra_fields={"closed_at": timezone.now()},
            extra={"reason": (reason or "").strip()[:1000]} if reason else None,
        )


def quotes_expire(*, today: datetime.date | None = None) -> int:
    """Sent quotes past their validity become expired (the nightly task). Returns how many."""
    today = today or timezone.localdate()
    count = 0
    for quote in Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=today).iterator():
        with transaction.atomic():
            current = Quote.objects.select_for_update().get(pk=quote.pk)
            if current.status == QuoteStatus.SENT:
                _set_status(quote=current, actor=None, status=QuoteStatus.EXPIRED)
                count += 1
    return count


def quote_settings_save(*, actor, data: dict) -> QuoteSettings:
    """Administrators: the approval threshold and the seller's details for the PDF."""
    from django.core.exceptions import ValidationError

    from crm.audit.services import diff, snapshot
    from crm.core.errors import PermissionDeniedError

    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()
    with transaction.atomic():
        row = QuoteSettings.load()
        row = QuoteSettings.objects.select_for_update().get(pk=row.pk)
        before = snapshot(row)
        for name, value in data.items():
            setattr(row, name, value)
        try:
            row.full_clean()
        except ValidationError as exc:
            raise ValidationFailed(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
        row.save()
        changes = diff(before, snapshot(row))
        if changes:
            audit_record(action=Action.UPDATE, actor=actor, instance=row, changes=changes)
    return row
