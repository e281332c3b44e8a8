"""Quote pages: the generic list and 360 page, plus the line editor, the actions
(submit, approve, reject, send, accept, decline, revise, e-mail), the PDF and the settings."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError
from crm.core.views.generic import RecordPages
from crm.core.visibility import can_access, get_visible_or_404, visible_to

from . import approvals, services
from .filtersets import QuoteFilterSet
from .forms import QuoteForm, QuoteSettingsForm
from .models import EDITABLE_STATUSES, Quote, QuoteSettings, QuoteStatus
from .pdf import quote_pdf_filename, render_quote_pdf
from .tables import QuoteTable

quote_pages = RecordPages(
    model=Quote,
    filterset=QuoteFilterSet,
    table=QuoteTable,
    form=QuoteForm,
    create=services.quote_create,
    update=services.quote_update,
    delete=services.quote_delete,
    detail_fields=[
        "number",
        "revision",
        "status",
        "title",
        "deal",
        "company",
        "contact",
        "currency",
        "valid_until",
        "language",
        "approver",
        "decided_by",
        "decided_at",
        "decision_comment",
        "sent_at",
        "owner",
        "created_at",
    ],
    detail_template="quotes/quote_detail.html",
    editable=lambda quote: quote.status in EDITABLE_STATUSES,
    slug="quotes",
)

LINE_KEYS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate", "price_source")


def _quote(request, pk: int) -> Quote:
    return get_visible_or_404(request.user, Quote.objects.select_related("owner", "company", "contact", "deal"), pk=pk)


def _posted_lines(post) -> list[dict]:
    columns = {key: post.getlist(f"line-{key}") for key in LINE_KEYS}
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {key: (values[index] if index < len(values) else "") for key, values in columns.items()}
        if not any(str(row[k]).strip() for k in ("product", "description", "quantity", "unit_price")):
            continue  # an empty row the user added and left
        rows.append(row)
    return rows


def _line_rows(lines, errors: dict) -> list[dict]:
    rows = []
    for index, line in enumerate(lines):
        get = (
            line.get
            if isinstance(line, dict)
            else lambda k, line=line: getattr(line, k + ("_id" if k == "product" else ""), "")
        )
        row = {key: get(key) for key in LINE_KEYS}
        product = getattr(line, "product", None) if not isinstance(line, dict) else None
        row["product_label"] = str(product) if product else ""
        if isinstance(line, dict) and row["product"]:
            from crm.products.models import Product

            found = Product.objects.filter(pk=row["product"]).first() if str(row["product"]).isdigit() else None
            row["product_label"] = str(found) if found else ""
        row["errors"] = [m for k, msgs in errors.items() if k.startswith(f"lines.{index}.") for m in msgs]
        rows.append(row)
    return rows


@login_required
def quote_edit(request, pk: int | None = None):
    """The quote editor: header fields and the lines (rows added, removed and reordered
    in the browser; every amount recomputed by the services on save)."""
    creating = pk is None
    perm = "quotes.add_quote" if creating else "quotes.change_quote"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    quote = None
    if not creating:
        quote = _quote(request, pk)
        if not can_access(request.user, quote, "write"):
            raise PermissionDenied
    initial = {k: v for k, v in request.GET.items() if creating and k in QuoteForm.base_fields}
    if creating and "deal" in initial:
        deal = _initial_deal(request, initial["deal"])
        if deal is not None:
            initial.setdefault("company", deal.company_id)
            initial.setdefault("currency", deal.currency)
            contact = visible_to(request.user, deal.contacts.all()).order_by("pk").first()
            if contact is not None:
                initial.setdefault("contact", contact.pk)
                if contact.preferred_language:
                    initial.setdefault("language", contact.preferred_language)
    if creating and "contact" in initial and str(initial["contact"]).isdigit():
        from crm.contacts.models import Contact

        contact = Contact.objects.filter(pk=initial["contact"]).first()
        if contact is not None and contact.preferred_language:
            initial.setdefault("language", contact.preferred_language)
    if creating:
        import datetime

        from django.utils import timezone

        defaults = QuoteSettings.load()
        initial.setdefault(
            "valid_until", timezone.localdate() + datetime.timedelta(days=defaults.default_validity_days)
        )
        if defaults.default_terms:
            initial.setdefault("terms", defaults.default_terms)
    form = QuoteForm(request.POST or None, instance=quote, user=request.user, initial=initial)
    if creating:
        form.fields["valid_until"].required = False
    status, errors, not_editable = 200, {}, None
    lines = list(quote.lines.select_related("product")) if quote else []
    if quote is not None and not quote.is_editable:
        try:
            services._require_editable(quote)
        except ServiceError as exc:
            not_editable = str(exc.message)
            status = 422 if request.method == "POST" else 200
    if request.method == "POST" and not_editable is None:
        lines = _posted_lines(request.POST)
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                if creating:
                    saved = services.quote_create(actor=request.user, lines=lines, **kwargs)
                    messages.success(request, _("%(name)s was created.") % {"name": saved})
                else:
                    saved = services.quote_update(
                        instance=quote,
                        actor=request.user,
                        lines=lines,
                        expected_version=form.cleaned_data.get("version"),
                        **kwargs,
                    )
                    messages.success(request, _("Your changes to %(name)s were saved.") % {"name": saved})
                if saved.status == QuoteStatus.NEEDS_APPROVAL:
                    messages.warning(
                        request, _("A discount is above the limit: the quote needs approval before it can be sent.")
                    )
                return HttpResponseRedirect(saved.get_absolute_url())
            except ConflictError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                errors = exc.fields
                header = {k: v for k, v in exc.fields.items() if not k.startswith("lines")}
                form.add_service_error(type(exc)(exc.message, fields=header)) if header or not exc.fields else None
                if exc.fields.get("lines"):
                    form.add_error(None, " ".join(exc.fields["lines"]))
                status = exc.status
        else:
            status = 400
    context = {
        "form": form,
        "object": quote,
        "opts": Quote._meta,
        "rows": _line_rows(lines, errors),
        "line_errors": bool([k for k in errors if k.startswith("lines.")]),
        "not_editable": not_editable,
        "lookup_url": reverse("products:product_lookup") if apps.is_installed("crm.products") else "",
        "threshold": approvals.approval_threshold(),
    }
    return render(request, "quotes/quote_form.html", context, status=status)


def _initial_deal(request, value):
    from crm.core.visibility import visible_to
    from crm.deals.models import Deal

    if not str(value).isdigit():
        return None
    return visible_to(request.user, Deal).filter(pk=int(value)).first()


ACTIONS = {
    "submit": lambda q, u, p: services.quote_submit(quote=q, actor=u),
    "approve": lambda q, u, p: approvals.quote_approve(quote=q, actor=u, comment=p.get("comment", "")),
    "reject": lambda q, u, p: approvals.quote_reject(quote=q, actor=u, comment=p.get("comment", "")),
    "send": lambda q, u, p: services.quote_send(quote=q, actor=u),
    "accept": lambda q, u, p: services.quote_accept(quote=q, actor=u),
    "decline": lambda q, u, p: services.quote_decline(quote=q, actor=u, reason=p.get("reason", "")),
    "revise": lambda q, u, p: services.quote_revise(quote=q, actor=u),
}


@login_required
@require_POST
def quote_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    quote = _quote(request, pk)
    try:
        result = ACTIONS[action](quote, request.user, request.POST)
    except PermissionDeniedError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(quote.get_absolute_url())
    except ServiceError as exc:
        text = str(exc.message)
        if exc.fields:
            text = " ".join(m for msgs in exc.fields.values() for m in msgs)
        messages.error(request, text)
        response = HttpResponseRedirect(quote.get_absolute_url())
        return response
    target = quote
    if action == "revise":
        target = result
        messages.success(
            request, _("Version %(n)d was created; the previous one is now read-only.") % {"n": result.revision}
        )
    elif action == "accept":
        target, order = result
        if order is not None:
            messages.success(request, _("The quote was accepted and order %(order)s was created.") % {"order": order})
            if hasattr(order, "get_absolute_url"):
                return HttpResponseRedirect(order.get_absolute_url())
        elif services.orders_hook() is None:
            messages.warning(
                request, _("The quote was accepted. The orders app is not installed, so no order was created.")
            )
        else:
            messages.success(request, _("The quote was accepted."))
    else:
        messages.success(
            request,
            {
                "submit": _("The approver was asked again."),
                "approve": _("The quote was approved."),
                "reject": _("The quote was rejected."),
                "send": _("The quote was marked as sent."),
                "decline": _("The quote was marked as declined."),
            }[action],
        )
    return HttpResponseRedirect(target.get_absolute_url())


@login_required
def quote_pdf(request, pk: int):
    quote = _quote(request, pk)
    pdf = render_quote_pdf(quote)
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{quote_pdf_filename(quote)}"'
    return response


def email_service():
    if not apps.is_installed("crm.emails"):
        return None
    try:
        from crm.emails.services import email_send
    except ImportError:
        return None
    return email_send


@login_required
@require_POST
def quote_email(request, pk: int):
    """E-mail the PDF to the quote's contact and mark the quote sent."""
    quote = _quote(request, pk)
    send = email_service()
    if send is None:
        messages.error(request, _("E-mail is not available: the e-mail app is not installed."))
        return HttpResponseRedirect(quote.get_absolute_url())
    if quote.contact is None or not getattr(quote.contact, "email", ""):
        messages.error(request, _("The quote has no contact with an e-mail address."))
        return HttpResponseRedirect(quote.get_absolute_url())
    if not (request.user.has_perm("quotes.change_quote") and can_access(request.user, quote, "write")):
        raise PermissionDenied
    try:
        approvals.require_cleared(quote, doing="send")
        if not quote.lines.exists():
            raise services.UnprocessableError(_("Add at least one line before sending the quote."))
        if quote.status not in {QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT}:
            raise services.UnprocessableError(
                _("A quote that is %(status)s cannot be sent.") % {"status": quote.get_status_display().lower()}
            )
        pdf = render_quote_pdf(quote)
        subject = (request.POST.get("subject") or "").strip() or _("Quotation %(number)s") % {
            "number": quote.display_number
        }
        body = (request.POST.get("body") or "").strip() or _("Please find our quotation %(number)s attached.") % {
            "number": quote.display_number
        }
        # Sent first, outside a transaction (email_send holds no lock while the mail
        # server answers); the checks above make marking it sent afterwards safe.
        send(
            actor=request.user,
            contact=quote.contact,
            subject=subject[:200],
            body=body,
            deal=quote.deal,
            attachments=((quote_pdf_filename(quote), pdf, "application/pdf"),),
        )
        if quote.status != QuoteStatus.SENT:
            services.quote_send(quote=quote, actor=request.user)
    except PermissionDeniedError as exc:
        messages.error(request, str(exc.message))
    except ServiceError as exc:
        messages.error(
            request, str(exc.message) if not exc.fields else " ".join(m for v in exc.fields.values() for m in v)
        )
    else:
        messages.success(
            request, _("The quote was e-mailed to %(email)s and marked as sent.") % {"email": quote.contact.email}
        )
    return HttpResponseRedirect(quote.get_absolute_url())


@login_required
def quote_panel(request, pk: int):
    """The lines, totals, actions and versions of a quote (loaded into its 360 page)."""
    quote = _quote(request, pk)
    writable = can_access(request.user, quote, "write") and request.user.has_perm("quotes.change_quote")
    versions = (
        list(Quote.objects.filter(number=quote.number).select_related("owner").order_by("-revision"))
        if quote.number
        else [quote]
    )
    context = {
        "quote": quote,
        "lines": list(quote.lines.select_related("product").order_by("position", "id")),
        "versions": versions,
        "writable": writable,
        "can_decide": quote.status == QuoteStatus.NEEDS_APPROVAL and approvals.can_approve(request.user, quote),
        "can_email": email_service() is not None and quote.contact_id is not None,
        "orders_installed": services.orders_hook() is not None,
        "approver": quote.approver or approvals.approver_for(quote.owner),
    }
    return render(request, "quotes/_quote_panel.html", context)


@login_required
def quote_settings(request):
    if not request.user.is_crm_admin:
        raise PermissionDenied
    row = QuoteSettings.load()
    form = QuoteSettingsForm(request.POST or None, request.FILES or None, instance=row)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.cleaned_data}
            if data.get("logo") is False:
                data["logo"] = ""
            try:
                services.quote_settings_save(actor=request.user, data=data)
            except ServiceError as exc:
                for field, errs in exc.fields.items():
                    for e in errs:
                        form.add_error(field if field in form.fields else None, e)
                status = exc.status
            else:
                messages.success(request, _("The quote settings were saved."))
                return HttpResponseRedirect(reverse("quotes:quote_settings"))
        else:
            status = 400
    return render(request, "quotes/settings.html", {"form": form, "row": row}, status=status)
