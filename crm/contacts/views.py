from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ServiceError
from crm.core.jobs import job_enqueue
from crm.core.models import Job
from crm.core.views.generic import RecordPages

from . import services
from .filtersets import CompanyFilterSet, ContactFilterSet
from .forms import CompanyForm, ContactForm
from .models import Company, Contact, Tier, TierSettings
from .tables import CompanyTable, ContactTable
from .tasks import tiers_recompute_job
from .tiers import tier_distribution, tier_settings

company_pages = RecordPages(
    model=Company,
    slug="companies",
    filterset=CompanyFilterSet,
    table=CompanyTable,
    form=CompanyForm,
    create=services.company_create,
    update=services.company_update,
    detail_fields=[*Company.EDITABLE_FIELDS, "created_at", "updated_at"],
    bulk_fields=["industry", "size", "source", "region", "parent", "owner"],
    form_template="duplicates/record_form.html",  # with the duplicate warning
)
contact_pages = RecordPages(
    model=Contact,
    filterset=ContactFilterSet,
    table=ContactTable,
    form=ContactForm,
    create=services.contact_create,
    update=services.contact_update,
    detail_fields=[*Contact.EDITABLE_FIELDS, "created_at", "updated_at"],
    bulk_fields=["title", "company", "preferred_language", "marketing_consent", "consent_source", "owner"],
    form_template="duplicates/record_form.html",  # with the duplicate warning
)


# Value tiers ------------------------------------------------------------------------


def _model_field(name: str, form_field):
    """A form field carrying the model field's label and help text."""
    field = TierSettings._meta.get_field(name)
    form_field.label = capfirst(field.verbose_name)
    form_field.help_text = field.help_text
    return form_field


class TierSettingsForm(forms.Form):
    """The thresholds as a person types them ("30, 90, 180, 365"); the service checks them."""

    window_days = _model_field("window_days", forms.IntegerField(min_value=1, max_value=3650))
    recency_days = _model_field("recency_days", forms.CharField())
    frequency_counts = _model_field("frequency_counts", forms.CharField())
    monetary_amounts = _model_field("monetary_amounts", forms.CharField())
    tier_a_min = _model_field("tier_a_min", forms.IntegerField(min_value=3, max_value=15))
    tier_b_min = _model_field("tier_b_min", forms.IntegerField(min_value=3, max_value=15))
    tier_c_min = _model_field("tier_c_min", forms.IntegerField(min_value=3, max_value=15))

    @classmethod
    def initial_from(cls, settings) -> dict:
        return {
            "window_days": settings.window_days,
            "recency_days": ", ".join(str(v) for v in settings.recency_days),
            "frequency_counts": ", ".join(str(v) for v in settings.frequency_counts),
            "monetary_amounts": ", ".join(str(v) for v in settings.monetary_amounts),
            "tier_a_min": settings.tier_a_min,
            "tier_b_min": settings.tier_b_min,
            "tier_c_min": settings.tier_c_min,
        }


def _admin_only(request) -> None:
    if not request.user.is_crm_admin:
        raise PermissionDenied


@login_required
def tier_settings_page(request):
    _admin_only(request)
    current = tier_settings()
    form = TierSettingsForm(request.POST or None, initial=TierSettingsForm.initial_from(current))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.tier_settings_update(actor=request.user, data=form.cleaned_data)
            except ServiceError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Tier settings saved. They apply from the next recomputation."))
                return HttpResponseRedirect(reverse("contacts:tier_settings"))
        status = 400
    distribution = tier_distribution()
    rows = [
        (model._meta.verbose_name_plural, reverse(f"contacts:{name}_list"), distribution[name].items())
        for name, model in (("company", Company), ("contact", Contact))
    ]
    context = {
        "form": form,
        "rows": rows,
        "tiers": Tier.choices,
        "last_job": Job.objects.filter(kind="tiers_recompute").order_by("-created_at").first(),
    }
    return render(request, "contacts/tier_settings.html", context, status=status)


@login_required
@require_POST
def tier_recompute(request):
    _admin_only(request)
    job = job_enqueue(kind="tiers_recompute", task=tiers_recompute_job, user=request.user)
    messages.info(request, _("Recomputing the value tiers in the background."))
    return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))
