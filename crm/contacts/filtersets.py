import django_filters
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
    company = django_filters.NumberFilter(field_name="company_id", label=_("Company"))

    class Meta:
        model = Contact
        fields = ("q", "owner", "company", "tag", "created_after", "created_before")
