"""Pages: templates (list, edit, delete, preview), compose and send, a logged message,
and the user's logging address."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.contacts.models import Contact
from crm.core.errors import NotFoundError, PermissionDeniedError, ServiceError, ValidationFailed
from crm.core.visibility import get_visible_or_404, visible_to
from crm.deals.models import Deal

from . import services
from .forms import ComposeForm, ContactPickForm, EmailTemplateForm
from .merge import MERGE_FIELDS
from .models import EmailTemplate
from .selectors import emails_visible_to, templates_visible_to


def _require_mailer(request) -> None:
    if not request.user.has_perm(services.SEND_PERMISSION):
        raise PermissionDenied


def _template_or_404(request, pk: int) -> EmailTemplate:
    template = templates_visible_to(request.user).filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


# Templates ----------------------------------------------------------------------------
@login_required
def template_list(request):
    _require_mailer(request)
    templates = templates_visible_to(request.user).order_by("language", "name", "pk")
    rows = [(t, services.can_change_template(request.user, t)) for t in templates]
    return render(request, "emails/template_list.html", {"rows": rows})


@login_required
def template_edit(request, pk: int | None = None):
    _require_mailer(request)
    template = _template_or_404(request, pk) if pk else None
    if template is not None and not services.can_change_template(request.user, template):
        raise PermissionDenied
    initial = {}
    if template is None:
        initial["language"] = request.user.language or settings.LANGUAGE_CODE
    form = EmailTemplateForm(request.POST or None, instance=template, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in EmailTemplate.EDITABLE_FIELDS}
            try:
                if template is None:
                    template = services.template_create(actor=request.user, data=data)
                else:
                    template = services.template_update(
                        instance=EmailTemplate.objects.get(pk=template.pk), actor=request.user, data=data
                    )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The template was saved."))
                return HttpResponseRedirect(reverse("emails:template_list"))
    return render(
        request,
        "emails/template_form.html",
        {"form": form, "object": template, "merge_fields": MERGE_FIELDS},
        status=status,
    )


@login_required
@require_POST
def template_delete(request, pk: int):
    _require_mailer(request)
    template = _template_or_404(request, pk)
    services.template_delete(instance=template, actor=request.user)
    messages.success(request, _("The template was deleted."))
    return HttpResponseRedirect(reverse("emails:template_list"))


@login_required
def template_preview(request, pk: int):
    _require_mailer(request)
    template = _template_or_404(request, pk)
    form = ContactPickForm(request.GET or None, user=request.user)
    contact = None
    preview = None
    if form.is_bound and form.is_valid():
        contact = form.cleaned_data["contact"]
    if contact is None:
        contact = visible_to(request.user, Contact).select_related("company").order_by("-updated_at", "-pk").first()
    if contact is not None:
        try:
            preview = services.email_preview(
                actor=request.user, contact=contact, subject=template.subject, body=template.body
            )
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
    return render(
        request,
        "emails/template_preview.html",
        {
            "object": template,
            "form": form,
            "contact": contact,
            "preview": preview,
            "can_change": services.can_change_template(request.user, template),
        },
    )


# Compose and send ---------------------------------------------------------------------
def _int_param(request, name: str) -> int | None:
    value = request.POST.get(name) or request.GET.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def compose(request):
    _require_mailer(request)
    deal_id = _int_param(request, "deal")
    deal = get_visible_or_404(request.user, Deal.objects.select_related("company"), pk=deal_id) if deal_id else None
    contact = None
    contact_id = _int_param(request, "contact")
    if contact_id is not None and request.method != "POST":
        contact = get_visible_or_404(request.user, Contact.objects.select_related("company"), pk=contact_id)
    form_kwargs = {"user": request.user, "deal": deal}
    preview = None
    status = 200
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, **form_kwargs)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            contact = data["contact"]
            try:
                if request.POST.get("action") == "preview":
                    preview = services.email_preview(
                        actor=request.user, contact=contact, subject=data["subject"], body=data["body"], deal=deal
                    )
                    status = 200
                else:
                    files = data["attachments"]
                    if sum(f.size for f in files) > services.MAX_ATTACHMENT_BYTES:
                        # Refused before the files are read into memory.
                        raise ValidationFailed(fields={"attachments": [services.attachments_too_large_message()]})
                    services.email_send(
                        actor=request.user,
                        contact=contact,
                        subject=data["subject"],
                        body=data["body"],
                        deal=deal,
                        template=data["template"],
                        cc=[data["cc"]] if data["cc"] else (),
                        attachments=[(f.name, f.read(), f.content_type or "application/octet-stream") for f in files],
                    )
                    messages.success(request, _("The e-mail to %(name)s was sent.") % {"name": contact.name})
                    target = deal.get_absolute_url() if deal else contact.get_absolute_url()
                    return HttpResponseRedirect(target)
            except (NotFoundError, PermissionDeniedError):
                raise
            except ServiceError as exc:
                form.add_service_error(exc)
                status = exc.status if exc.status >= 500 else 400
    else:
        if contact is None and deal is not None:
            contact = form_kwargs_first_contact(request.user, deal)
        language = (contact.preferred_language if contact else "") or request.user.language or settings.LANGUAGE_CODE
        template = None
        template_id = _int_param(request, "template")
        if template_id is not None:
            template = _template_or_404(request, template_id)
        else:
            template = services.template_for_language(user=request.user, language=language)
        initial = {"contact": contact.pk if contact else None}
        if template is not None:
            initial.update(template=template.pk, subject=template.subject, body=template.body)
        form = ComposeForm(initial=initial, **form_kwargs)
    templates = {str(t.pk): {"subject": t.subject, "body": t.body} for t in form.fields["template"].queryset}
    return render(
        request,
        "emails/compose.html",
        {
            "form": form,
            "deal": deal,
            "contact": contact,
            "preview": preview,
            "templates_json": templates,
            "merge_fields": MERGE_FIELDS,
        },
        status=status,
    )


def form_kwargs_first_contact(user, deal):
    return (
        visible_to(user, Contact)
        .exclude(email="")
        .filter(deal_roles__deal=deal)
        .select_related("company")
        .order_by("name", "pk")
        .first()
    )


# Logged messages ----------------------------------------------------------------------
@login_required
def email_detail(request, pk: int):
    message = emails_visible_to(request.user).filter(pk=pk).prefetch_related("contacts").first()
    if message is None:
        raise Http404
    contacts = list(visible_to(request.user, Contact).filter(email_messages=message).order_by("name", "pk"))
    return render(request, "emails/email_detail.html", {"message": message, "contacts": contacts})


# Logging address ----------------------------------------------------------------------
NEW_ADDRESS_KEY = "emails_new_logging_address"


@login_required
def logging_address(request):
    _require_mailer(request)
    if request.method == "POST":
        if not services.inbound_domain():
            raise PermissionDenied
        _row, address = services.logging_address_renew(actor=request.user)
        messages.success(request, _("Your new logging address is ready. The old one no longer works."))
        # Shown once, by the page the redirect leads to (a reload must not make another).
        request.session[NEW_ADDRESS_KEY] = address
        return HttpResponseRedirect(reverse("emails:logging_address"))
    new_address = request.session.pop(NEW_ADDRESS_KEY, None)
    current = services.logging_address_current(user=request.user)
    return render(
        request,
        "emails/logging_address.html",
        {
            "domain": services.inbound_domain(),
            "current": current,
            "new_address": new_address,
            "inbound_url": request.build_absolute_uri(reverse("emailmessage-inbound")),
        },
    )
