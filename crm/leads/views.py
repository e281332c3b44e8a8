"""Lead pages (generic list/detail/edit plus status and conversion), the administration of
assignment rules and web forms, and the public hosted form."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.throttling import SimpleRateThrottle

from crm.core.context import current_context
from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError, ValidationFailed
from crm.core.views.generic import RecordPages
from crm.core.visibility import can_access, get_visible_or_404

from . import services
from .filtersets import LeadFilterSet
from .forms import AssignmentRuleForm, LeadConvertForm, LeadForm, LeadStatusForm, WebFormForm
from .models import AssignmentRule, Lead, LeadStatus, WebForm
from .selectors import company_candidates, contact_candidates
from .tables import LeadTable


class LeadPages(RecordPages):
    def edit_view(self, request, pk: int | None = None):
        """As for every record, plus: a new lead the assignment rules gave to someone
        whose leads the creator may not see lands on the list with a note, not on a 404."""
        response = super().edit_view(request, pk)
        if pk is None and response.status_code == 302:
            try:
                match = resolve(response.url)
            except Resolver404:
                return response
            created = Lead.objects.filter(pk=match.kwargs.get("pk")).select_related("owner").first()
            if created is not None and not can_access(request.user, created, "read"):
                messages.info(
                    request,
                    _("The assignment rules gave %(name)s to %(owner)s.") % {"name": created, "owner": created.owner},
                )
                return HttpResponseRedirect(self.url("list"))
        return response


lead_pages = LeadPages(
    model=Lead,
    filterset=LeadFilterSet,
    table=LeadTable,
    form=LeadForm,
    create=services.lead_create,
    update=services.lead_update,
    detail_fields=[
        "name",
        "company_name",
        "title",
        "email",
        "phone",
        "region",
        "source",
        "campaign",
        "status",
        "disqualify_reason",
        "score",
        "description",
        "owner",
        "last_activity_at",
        "web_form",
        "duplicate_of",
        "matched_contact",
        "converted_company",
        "converted_contact",
        "converted_deal",
        "converted_at",
        "created_at",
        "updated_at",
    ],
    detail_template="leads/lead_detail.html",
)


def _form_errors(form, exc: ServiceError) -> None:
    placed = False
    for name, msgs in exc.fields.items():
        for message in msgs:
            target = name if name in form.fields else None
            form.add_error(target, message if target or name == "__all__" else f"{name}: {message}")
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def _writable_lead(request, pk: int) -> Lead:
    if not request.user.has_perm("leads.change_lead"):
        raise PermissionDenied
    lead = get_visible_or_404(request.user, Lead, pk=pk)
    if not can_access(request.user, lead, "write"):
        raise PermissionDenied
    return lead


@login_required
def lead_status(request, pk: int):
    lead = _writable_lead(request, pk)
    form = LeadStatusForm(request.POST or None, initial={"status": lead.status, "version": lead.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.lead_set_status(
                    lead=lead,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConflictError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                _form_errors(form, exc)
                if "disqualify_reason" in exc.fields:
                    form.errors.pop("__all__", None)
                    for message in exc.fields["disqualify_reason"]:
                        form.add_error("reason", message)
            else:
                messages.success(request, _("The status of %(name)s was changed.") % {"name": lead})
                return HttpResponseRedirect(lead.get_absolute_url())
    return render(request, "leads/lead_status.html", {"form": form, "object": lead}, status=status)


# Where a conversion error about a part shows on the page (the service names the part).
_CONVERT_FIELDS = {
    "company": "company",
    "company.id": "company",
    "company.name": "company_name",
    "company.registration_number": "company_registration_number",
    "contact": "contact",
    "contact.id": "contact",
    "deal.name": "deal_name",
    "deal.amount": "deal_amount",
    "deal.pipeline": "deal_pipeline",
    "deal.expected_close_date": "deal_close_date",
}


def _convert_errors(form, exc: ServiceError) -> None:
    parts = {"company": _("Company"), "contact": _("Contact"), "deal": _("Deal")}
    placed = False
    for name, msgs in exc.fields.items():
        for message in msgs:
            target = _CONVERT_FIELDS.get(name)
            if target is None:
                part = parts.get(name.split(".", 1)[0])
                form.add_error(None, f"{part}: {message}" if part else message)
            else:
                form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


@login_required
def lead_convert(request, pk: int):
    lead = _writable_lead(request, pk)
    if lead.status == LeadStatus.CONVERTED:
        messages.info(request, _("This lead was already converted."))
        return HttpResponseRedirect(lead.get_absolute_url())
    code = (request.POST.get("company_registration_number") or request.GET.get("registration_number") or "")[:40]
    companies = company_candidates(lead=lead, user=request.user, registration_number=code)
    contacts = contact_candidates(lead=lead, user=request.user)
    initial = {
        "company_action": "link" if companies else ("create" if lead.company_name else "none"),
        "company": companies[0].record.pk if companies else None,
        "company_name": lead.company_name,
        "company_registration_number": code,
        "contact_action": "link" if contacts else "create",
        "contact": contacts[0].record.pk if contacts else None,
        "create_deal": True,
        "deal_name": lead.company_name or lead.name,
        "version": lead.version,
    }
    form = LeadConvertForm(request.POST or None, initial=initial, user=request.user, lead=lead)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                converted = services.lead_convert(lead=lead, actor=request.user, **form.service_kwargs())
            except ConflictError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                _convert_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("%(name)s was converted.") % {"name": converted})
                return HttpResponseRedirect(converted.get_absolute_url())
    context = {
        "form": form,
        "object": lead,
        "companies": companies,
        "contacts": contacts,
        "can_convert": lead.status == LeadStatus.QUALIFIED,
        "registration_number": code,
    }
    return render(request, "leads/lead_convert.html", context, status=status)


# Administration -----------------------------------------------------------------------
def _admin_only(request) -> None:
    if not request.user.is_crm_admin:
        raise PermissionDenied


@login_required
def rule_list(request):
    _admin_only(request)
    rules = AssignmentRule.objects.select_related("user", "team", "last_assigned").order_by("position", "pk")
    return render(request, "leads/rule_list.html", {"rules": rules})


@login_required
def rule_edit(request, pk: int | None = None):
    _admin_only(request)
    rule = get_object_or_404(AssignmentRule, pk=pk) if pk else None
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form._meta.fields}
            try:
                if rule is None:
                    services.assignment_rule_create(actor=request.user, data=data)
                else:
                    services.assignment_rule_update(instance=rule, actor=request.user, data=data)
            except ServiceError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The assignment rule was saved."))
                return HttpResponseRedirect(reverse("leads:rule_list"))
    return render(request, "leads/rule_form.html", {"form": form, "object": rule}, status=status)


@login_required
@require_POST
def rule_delete(request, pk: int):
    _admin_only(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    services.assignment_rule_delete(instance=rule, actor=request.user)
    messages.success(request, _("The assignment rule was deleted."))
    return HttpResponseRedirect(reverse("leads:rule_list"))


@login_required
def webform_list(request):
    _admin_only(request)
    forms = WebForm.objects.select_related("owner", "team").order_by("name", "pk")
    return render(request, "leads/webform_list.html", {"forms": forms})


def _snippet(request, web_form: WebForm, language: str) -> str:
    with translation.override(language):
        action = request.build_absolute_uri(reverse("leads:public_form", args=[web_form.key]))
        return render_to_string(
            "leads/_snippet.html",
            {"web_form": web_form, "fields": _public_fields(web_form), "action": f"{action}?lang={language}"},
        ).strip()


@login_required
def webform_edit(request, pk: int | None = None):
    _admin_only(request)
    web_form = get_object_or_404(WebForm, pk=pk) if pk else None
    form = WebFormForm(request.POST or None, instance=web_form)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if web_form is None:
                    saved = services.webform_create(actor=request.user, data=form.service_data())
                else:
                    saved = services.webform_update(instance=web_form, actor=request.user, data=form.service_data())
            except ServiceError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The web form was saved."))
                return HttpResponseRedirect(reverse("leads:webform_edit", args=[saved.pk]))
    context = {"form": form, "object": web_form}
    if web_form is not None:
        context.update(
            hosted_url=request.build_absolute_uri(reverse("leads:public_form", args=[web_form.key])),
            snippet_en=_snippet(request, web_form, "en"),
            snippet_zh=_snippet(request, web_form, "zh-hans"),
            lead_count=Lead.objects.filter(web_form=web_form).count(),
        )
    return render(request, "leads/webform_form.html", context, status=status)


@login_required
@require_POST
def webform_delete(request, pk: int):
    _admin_only(request)
    web_form = get_object_or_404(WebForm, pk=pk)
    services.webform_delete(instance=web_form, actor=request.user)
    messages.success(request, _("The web form was deleted."))
    return HttpResponseRedirect(reverse("leads:webform_list"))


# The public form ----------------------------------------------------------------------
HONEYPOT_FIELD = "website_url"


def _rate() -> tuple[int, int]:
    """WEB_FORM_RATE_LIMIT ("20/min") as (submissions, seconds), read the way the API's
    rate limit is (config.env.env_rate checked its form at start)."""
    count, seconds = SimpleRateThrottle.parse_rate(None, str(settings.WEB_FORM_RATE_LIMIT))
    return max(1, count), seconds


def rate_limited(ip: str | None) -> int:
    """Seconds until this address may submit again; 0 when it may now.

    Counted in the database from the leads' own ``submitted_ip`` (one indexed count),
    like the sign-in lock-out counts its attempts: exact across every web process and
    machine, and cheaper than the file cache, which lists its folder on every write."""
    limit, period = _rate()
    if services.webform_recent_submissions(ip=ip, seconds=period) < limit:
        return 0
    return period


def _public_fields(web_form: WebForm) -> list[dict]:
    return [
        {
            "name": spec["name"],
            "label": web_form.field_label(spec),
            "required": spec.get("required", False),
            "multiline": spec["name"] == "description",
            "input_type": {"email": "email", "phone": "tel"}.get(spec["name"], "text"),
        }
        for spec in web_form.fields
    ]


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@csrf_exempt
def public_form(request, key: str):
    """The hosted form: anyone may open and submit it, without signing in.

    CSRF-exempt because any site may embed it; it reads no session and changes nothing
    but the new lead. ``?lang=en|zh-hans`` overrides the browser's language."""
    lang = request.GET.get("lang")
    if lang in {code for code, _name in settings.LANGUAGES}:
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    web_form = WebForm.objects.select_related("owner").filter(key=key[:32]).first()
    preview = False
    if web_form is not None and not web_form.active:
        # Administrators preview a form before switching it on; visitors find nothing.
        preview = request.method == "GET" and request.user.is_authenticated and request.user.is_crm_admin
        if not preview:
            web_form = None
    if web_form is None:
        raise Http404
    values: dict = {}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        if request.POST.get(HONEYPOT_FIELD):
            # A bot filled the field people never see: it gets the usual answer, nothing is saved.
            return _thanks(request, web_form)
        ctx = current_context()
        ip = ctx.ip if ctx else request.META.get("REMOTE_ADDR")
        retry = rate_limited(ip)
        if retry:
            return _too_many(request, web_form, retry)
        values = {spec["name"]: request.POST.get(spec["name"], "") for spec in web_form.fields}
        try:
            services.webform_submit(form=web_form, values=request.POST, ip=ip)
        except ValidationFailed as exc:
            errors = exc.fields
            status = 400
        except ServiceError as exc:
            errors = {"__all__": [str(exc.message)]}
            status = exc.status
        else:
            return _thanks(request, web_form)
        if _wants_json(request):
            return JsonResponse(
                {
                    "error": {
                        "code": "validation_failed",
                        "message": str(_("Some fields are not valid.")),
                        "fields": errors,
                    }
                },
                status=status,
            )
    fields = _public_fields(web_form)
    for field in fields:
        field["value"] = values.get(field["name"], "")
        field["errors"] = errors.get(field["name"], [])
    context = {
        "web_form": web_form,
        "fields": fields,
        "form_errors": errors.get("__all__", []),
        "honeypot": HONEYPOT_FIELD,
        "lang_query": f"?lang={lang}" if lang else "",
        "preview": preview,
    }
    return render(request, "leads/public_form.html", context, status=status)


def _thanks(request, web_form: WebForm):
    message = web_form.thank_you or _("Thank you. We will be in touch soon.")
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message}, status=201)
    return render(request, "leads/public_thanks.html", {"web_form": web_form, "message": message})


def _too_many(request, web_form: WebForm, retry: int):
    message = _("Too many submissions from your address. Please try again in %(seconds)s seconds.") % {"seconds": retry}
    if _wants_json(request):
        response = JsonResponse({"error": {"code": "throttled", "message": message, "fields": {}}}, status=429)
    else:
        response = render(request, "leads/public_thanks.html", {"web_form": web_form, "message": message}, status=429)
    response["Retry-After"] = str(retry)
    return response
