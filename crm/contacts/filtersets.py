import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm.core.filtersets import RecordFilterSet, visible_choices

from .models import Company, CompanySize, CompanySource, Contact, Tier
from .selectors import records_search


@extend_schema_field(OpenApiTypes.INT)
class ProductFilter(django_filters.ModelChoiceFilter):
    """A product, by id."""


class CustomerFilterSet(RecordFilterSet):
    """`q` searches the stored search text: name, pinyin, e-mails, phones, codes."""

    search_fields = ("search_text",)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, label=_("Tier"))
    inactive_days = django_filters.NumberFilter(
        method="filter_inactive", label=_("No activity for (days)"), min_value=1, max_value=3650
    )

    bought_product = ProductFilter(
        queryset=visible_choices("products.Product"), method="filter_bought", label=_("Bought product")
    )

    def filter_bought(self, queryset, name, value):
        """Customers with an order (confirmed or further, not cancelled) holding a line
        of this product: the order's company, or its contact."""
        from django.db.models import Exists, OuterRef

        from crm.orders.models import BILLED_STATUSES, OrderLine

        link = "order__company" if queryset.model is Company else "order__contact"
        lines = OrderLine.objects.filter(
            product=value, order__status__in=BILLED_STATUSES, order__deleted_at__isnull=True, **{link: OuterRef("pk")}
        )
        return queryset.filter(Exists(lines))

    def filter_inactive(self, queryset, name, value):
        """Customers with nothing logged in the last ``value`` days (or ever)."""
        cutoff = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=cutoff))

    def filter_search(self, queryset, name, value):
        return records_search(queryset, value)


class CompanyFilterSet(CustomerFilterSet):
    industry = django_filters.CharFilter(lookup_expr="icontains", label=_("Industry"))
    region = django_filters.CharFilter(lookup_expr="icontains", label=_("Region"))
    size = django_filters.ChoiceFilter(choices=CompanySize.choices, label=_("Size"))
    source = django_filters.ChoiceFilter(choices=CompanySource.choices, label=_("Source"))
    # By id, for the API and for links from a company's page; not shown in the form.
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("Parent company id"), widget=forms.HiddenInput)

    class Meta:
        model = Company
        fields = (
            "q",
            "owner",
            "industry",
            "region",
            "size",
            "source",
            "tier",
            "inactive_days",
            "bought_product",
            "tag",
            "created_after",
            "created_before",
            "parent",
        )


class ContactFilterSet(CustomerFilterSet):
    company_name = django_filters.CharFilter(field_name="company__name", lookup_expr="icontains", label=_("Company"))
    preferred_language = django_filters.ChoiceFilter(choices=settings.LANGUAGES, label=_("Preferred language"))
    marketing_consent = django_filters.BooleanFilter(label=_("Marketing consent"))
    # By id, for the API and for links from a company's page; not shown in the form.
    company = django_filters.NumberFilter(field_name="company_id", label=_("Company id"), widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = (
            "q",
            "owner",
            "company_name",
            "preferred_language",
            "marketing_consent",
            "tier",
            "inactive_days",
            "bought_product",
            "tag",
            "created_after",
            "created_before",
            "company",
        )
