import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet, visible_choices

from .models import Quote, QuoteStatus

DATE = django_filters.widgets.forms.DateInput(attrs={"type": "date"})


class QuoteFilterSet(RecordFilterSet):
    search_fields = ("number", "title")
    status = django_filters.ChoiceFilter(choices=QuoteStatus.choices, label=_("Status"))
    deal = django_filters.ModelChoiceFilter(queryset=visible_choices("deals.Deal"), label=_("Deal"))
    company = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Company"), label=_("Company"))
    contact = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Contact"), label=_("Contact"))
    valid_after = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="gte", label=_("Valid from"), widget=DATE
    )
    valid_before = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="lte", label=_("Valid until"), widget=DATE
    )
    current = django_filters.BooleanFilter(method="filter_current", label=_("Newest versions only"))

    class Meta:
        model = Quote
        fields = (
            "q",
            "status",
            "deal",
            "company",
            "contact",
            "valid_after",
            "valid_before",
            "current",
            "owner",
            "tag",
            "created_after",
            "created_before",
        )

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))

    def filter_current(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(status=QuoteStatus.SUPERSEDED)
        return queryset.filter(status=QuoteStatus.SUPERSEDED)
