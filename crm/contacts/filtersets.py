import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet

from .models import Company, Contact


class CompanyFilterSet(RecordFilterSet):
    search_fields = ("name", "registration_number", "phone", "email")
    industry = django_filters.CharFilter(lookup_expr="icontains", label=_("Industry"))

    class Meta:
        model = Company
        fields = ("q", "owner", "industry", "tag", "created_after", "created_before")


class ContactFilterSet(RecordFilterSet):
    search_fields = ("name", "email", "phone", "title")
    company_name = django_filters.CharFilter(field_name="company__name", lookup_expr="icontains", label=_("Company"))
    # By id, for the API and for links from a company's page; not shown in the form.
    company = django_filters.NumberFilter(field_name="company_id", label=_("Company id"), widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = ("q", "owner", "company_name", "tag", "created_after", "created_before", "company")
