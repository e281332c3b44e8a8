"""Order pages: the generic list/edit (RecordPages), a detail page with lines, totals,
payment plan, payments and status buttons, the lines and plan editors, and the
receivables page. Every write calls crm.orders.services."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from crm.accounts.models import Team
from crm.audit.services import Action, audit_record
from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError
from crm.core.exports import stream_csv
from crm.core.pagination import paginate, parse_int
from crm.core.views.generic import RecordPages
from crm.core.visibility import can_access, get_visible_or_404

from . import selectors, services
from .filtersets import OrderFilterSet
from .forms import InstalmentFormSet, LineFormSet, OrderForm, PaymentForm
from .models import BILLED_STATUSES, Order, OrderStatus, Payment
from .tables import OrderTable

DETAIL_FIELDS = [
    "number",
    "title",
    "status",
    "company",
    "contact",
    "deal",
    "quote",
    "order_date",
    "currency",
    "customer_reference",
    "notes",
    "status_changed_at",
    "owner",
    "created_at",
    "updated_at",
]
# The button that moves an order to each status.
TRANSITION_LABELS = {
    OrderStatus.CONFIRMED: gettext_lazy("Confirm"),
    OrderStatus.SHIPPED: gettext_lazy("Mark shipped"),
    OrderStatus.DELIVERED: gettext_lazy("Mark delivered"),
    OrderStatus.COMPLETED: gettext_lazy("Complete"),
    OrderStatus.CANCELLED: gettext_lazy("Cancel order"),
}


def order_context(request, order: Order) -> dict:
    """What the detail page shows below the fields; a refused payment leaves its form
    (with the errors) on the request."""
    payment_form = getattr(request, "_orders_payment_form", None)
    can_change = request.user.has_perm("orders.change_order") and can_access(request.user, order, "write")
    instalments = list(order.instalments.order_by("due_date", "sequence", "id"))
    today = timezone.localdate()
    for instalment in instalments:
        instalment.is_overdue = instalment.due_date < today and instalment.paid_amount < instalment.amount
        instalment.days_overdue = (today - instalment.due_date).days if instalment.is_overdue else 0
    overdue = sum((i.amount - i.paid_amount for i in instalments if i.is_overdue), order.total * 0)
    billed = order.status in BILLED_STATUSES
    return {
        "order": order,
        "lines": list(order.lines.select_related("product").order_by("position", "id")),
        "instalments": instalments,
        "payments": list(order.payments.select_related("instalment", "created_by").order_by("paid_at", "id")),
        "can_change": can_change,
        "billed": billed,
        "transitions": [(s, TRANSITION_LABELS[s]) for s in order.allowed_statuses],
        "payment_form": payment_form if payment_form is not None else PaymentForm(order=order),
        "money": lambda amount: services.format_money(amount, order.currency),
        "overdue": overdue,
    }


order_pages = RecordPages(
    model=Order,
    filterset=OrderFilterSet,
    table=OrderTable,
    form=OrderForm,
    create=services.order_create,
    update=services.order_update,
    delete=services.order_delete,
    detail_fields=DETAIL_FIELDS,
    detail_template="orders/order_detail.html",
    slug="orders",
)


def _order(request, pk: int, *, write: bool = False) -> Order:
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    order = get_visible_or_404(request.user, Order, pk=pk)
    if write and not (request.user.has_perm("orders.change_order") and can_access(request.user, order, "write")):
        raise PermissionDenied
    return order


def _error_text(exc: ServiceError) -> str:
    texts = [str(e) for errors in exc.fields.values() for e in errors]
    return " ".join(texts) if texts else str(exc.message)


@login_required
@require_POST
def order_transition(request, pk: int):
    order = _order(request, pk, write=True)
    try:
        version = int(request.POST.get("version") or 0) or None
    except ValueError:
        version = None
    try:
        order = services.order_transition(
            order=order, actor=request.user, to_status=request.POST.get("to_status", ""), expected_version=version
        )
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ConflictError as exc:
        messages.error(request, str(exc.message))
        return _back(order, status=409, request=request)
    except ServiceError as exc:
        messages.error(request, _error_text(exc))
        return _back(order, status=exc.status, request=request)
    messages.success(
        request, _("%(order)s is now %(status)s.") % {"order": order.number, "status": order.get_status_display()}
    )
    return HttpResponseRedirect(order.get_absolute_url())


def _back(order, *, status: int, request):
    """After a refused action: the order's page again, with the message and the error status."""
    response = order_pages.detail_view(request, order.pk)
    response.status_code = status
    return response


@login_required
def order_lines(request, pk: int):
    """Edit a draft order's lines (the whole list at once)."""
    order = _order(request, pk, write=True)
    if not order.is_draft:
        messages.error(request, _("The lines of an order can only change while it is a draft."))
        return HttpResponseRedirect(order.get_absolute_url())
    status = 200
    if request.method == "POST":
        formset = LineFormSet(request.POST, user=request.user)
        if formset.is_valid():
            try:
                services.order_set_lines(
                    order=order,
                    actor=request.user,
                    lines=formset.lines(),
                    expected_version=parse_int(request.POST.get("version"), None),
                )
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                status = 409 if isinstance(exc, ConflictError) else exc.status
                _place_line_errors(formset, exc)
            else:
                messages.success(request, _("The lines of %(order)s were saved.") % {"order": order.number})
                return HttpResponseRedirect(order.get_absolute_url())
        else:
            status = 400
    else:
        initial = [
            {
                "product": line.product_id,
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "unit": line.unit,
                "unit_price": line.unit_price.normalize(),
                "discount_percent": line.discount_percent.normalize(),
                "tax_rate": line.tax_rate.normalize(),
            }
            for line in order.lines.order_by("position", "id")
        ]
        formset = LineFormSet(initial=initial, user=request.user)
    return render(request, "orders/order_lines.html", {"order": order, "formset": formset}, status=status)


def _place_line_errors(formset, exc: ServiceError) -> None:
    """``lines.<n>.<field>`` errors next to the field of the n-th non-empty row."""
    rows = [f for f in formset.forms if f.is_valid() and not f.is_blank and not formset._should_delete_form(f)]
    placed = False
    for key, errors in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(rows):
            form = rows[int(parts[1])]
            field = parts[2] if parts[2] in form.fields else None
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed:
        formset._non_form_errors = formset.error_class([_error_text(exc)])


@login_required
def order_plan(request, pk: int):
    """Set a confirmed order's payment plan: instalments adding up to its total."""
    order = _order(request, pk, write=True)
    status = 200
    if request.method == "POST":
        formset = InstalmentFormSet(request.POST)
        if formset.is_valid():
            try:
                services.order_set_plan(
                    order=order,
                    actor=request.user,
                    instalments=formset.instalments(),
                    expected_version=parse_int(request.POST.get("version"), None),
                )
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                status = 409 if isinstance(exc, ConflictError) else exc.status
                rows = [
                    f for f in formset.forms if f.is_valid() and not f.is_blank and not formset._should_delete_form(f)
                ]
                general = []
                for key, errors in exc.fields.items():
                    parts = key.split(".")
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                        for error in errors:
                            rows[int(parts[1])].add_error(parts[2] if parts[2] in rows[0].fields else None, error)
                    else:
                        general.extend(errors)
                if general or not exc.fields:
                    formset._non_form_errors = formset.error_class(general or [str(exc.message)])
            else:
                messages.success(request, _("The payment plan of %(order)s was saved.") % {"order": order.number})
                return HttpResponseRedirect(order.get_absolute_url())
        else:
            status = 400
    else:
        formset = InstalmentFormSet(
            initial=[
                {"id": i.pk, "label": i.label, "due_date": i.due_date, "amount": i.amount.normalize()}
                for i in order.instalments.order_by("due_date", "sequence", "id")
            ]
        )
    context = {"order": order, "formset": formset, "total": services.format_money(order.total, order.currency)}
    return render(request, "orders/order_plan.html", context, status=status)


@login_required
@require_POST
def payment_add(request, pk: int):
    order = _order(request, pk, write=True)
    form = PaymentForm(request.POST, order=order)
    if form.is_valid():
        data = form.cleaned_data
        paid_on = data["paid_at"]
        paid_at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(12)))
        try:
            services.payment_record(
                order=order,
                actor=request.user,
                amount=data["amount"],
                method=data["method"],
                paid_at=paid_at,
                reference=data.get("reference") or "",
                instalment=data.get("instalment"),
                kind=data["kind"],
            )
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ServiceError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, str(exc.message))
            return _detail_with_form(request, order, form, exc.status)
        messages.success(request, _("The payment was recorded."))
        return HttpResponseRedirect(order.get_absolute_url() + "#payments")
    return _detail_with_form(request, order, form, 400)


def _detail_with_form(request, order, form, status):
    request._orders_payment_form = form
    response = order_pages.detail_view(request, order.pk)
    response.status_code = status
    return response


@login_required
@require_POST
def payment_delete(request, pk: int, payment_pk: int):
    order = _order(request, pk, write=True)
    payment = Payment.objects.filter(pk=payment_pk, order=order).first()
    if payment is None:
        raise Http404
    try:
        services.payment_delete(payment=payment, actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, _error_text(exc))
        return _back(order, status=exc.status, request=request)
    messages.success(request, _("The payment was deleted."))
    return HttpResponseRedirect(order.get_absolute_url() + "#payments")


# Receivables ----------------------------------------------------------------------
def _receivable_filters(request) -> dict:
    filters = {}
    for key in ("owner", "team", "company", "contact"):
        value = parse_int(request.GET.get(key), None)
        if value:
            filters[key] = value
    currency = (request.GET.get("currency") or "").strip().upper()[:3]
    if currency.isalpha() and len(currency) == 3:
        filters["currency"] = currency
    return filters


@login_required
def receivables(request):
    """Overdue instalments and their aging, per currency, by customer and by owner, for
    the orders the user may see."""
    if not request.user.has_perm("orders.view_order"):
        raise PermissionDenied
    filters = _receivable_filters(request)
    today = timezone.localdate()
    rows = selectors.overdue_rows(request.user, today=today, **filters)
    if request.GET.get("format") == "csv":
        return _overdue_csv(request, rows, today, filters)
    page = paginate(rows, page=request.GET.get("page"), per_page=parse_int(request.GET.get("per_page"), 50))
    for instalment in page.object_list:
        instalment.days = (today - instalment.due_date).days
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "today": today,
        "page": page,
        "totals": selectors.aging(request.user, today=today, **filters),
        "by_customer": selectors.aging(request.user, today=today, by="customer", limit=50, **filters),
        "by_owner": selectors.aging(request.user, today=today, by="owner", **filters),
        "outstanding_by_owner": selectors.outstanding_by(request.user, group="owner", **filters),
        "owners": get_user_model().objects.filter(is_active=True).order_by("username"),
        "teams": Team.objects.order_by("name"),
        "filters": filters,
        "query": params.urlencode(),
        "can_export": request.user.has_perm("orders.export_order"),
    }
    return render(request, "orders/receivables.html", context)


def _overdue_csv(request, rows, today, filters):
    if not request.user.has_perm("orders.export_order"):
        raise PermissionDenied
    header = [
        _("Customer"),
        pgettext("sales order", "Order"),
        _("Instalment"),
        _("Due date"),
        _("Days overdue"),
        _("Amount overdue"),
        _("Currency"),
        _("Owner"),
    ]

    def body():
        for i in rows.iterator(chunk_size=2000):
            order = i.order
            customer = order.company.name if order.company_id else (order.contact.name if order.contact_id else "")
            yield [
                customer,
                order.number,
                str(i),
                i.due_date,
                (today - i.due_date).days,
                services.money_round(i.amount - i.paid_amount, order.currency),
                order.currency,
                order.owner.get_username() if order.owner_id else "",
            ]

    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_repr=_("Overdue receivables"),
        extra={"format": "csv", "filters": {k: str(v) for k, v in filters.items()}, "rows": rows.count()},
    )
    response = StreamingHttpResponse(stream_csv(header, body()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="overdue-{today.isoformat()}.csv"'
    return response
