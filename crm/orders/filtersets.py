import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet, visible_choices

from .models import Order, OrderStatus

DATE = forms.DateInput(attrs={"type": "date"})


class OrderFilterSet(RecordFilterSet):
    search_fields = ("number", "title")
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices, label=_("Status"))
    company = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Company"), label=_("Company"))
    contact = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Contact"), label=_("Contact"))
    deal = django_filters.ModelChoiceFilter(queryset=visible_choices("deals.Deal"), label=_("Deal"))
    currency = django_filters.CharFilter(label=_("Currency"), method="filter_currency")
    ordered_after = django_filters.DateFilter(
        field_name="order_date", lookup_expr="gte", label=_("Ordered from"), widget=DATE
    )
    ordered_before = django_filters.DateFilter(
        field_name="order_date", lookup_expr="lte", label=_("Ordered until"), widget=DATE
    )
    unpaid = django_filters.BooleanFilter(label=_("Not fully paid"), method="filter_unpaid")

    class Meta:
        model = Order
        fields = (
            "q",
            "status",
            "company",
            "contact",
            "deal",
            "currency",
            "ordered_after",
            "ordered_before",
            "unpaid",
            "owner",
            "tag",
            "created_after",
            "created_before",
        )

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper()) if value.strip() else queryset

    def filter_unpaid(self, queryset, name, value):
        from django.db.models import F

        from .models import BILLED_STATUSES

        if value is None:
            return queryset
        owing = queryset.filter(status__in=BILLED_STATUSES, total__gt=F("paid_total"))
        return owing if value else queryset.exclude(pk__in=owing.values("pk"))
