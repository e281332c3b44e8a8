import django_filters
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet, visible_choices
from crm.core.search import search_text_matches

from .models import Activity, ActivityKind

DATE = django_filters.widgets.forms.DateInput(attrs={"type": "date"})


class ActivityFilterSet(RecordFilterSet):
    search_fields = ("search_text",)
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("Kind"))
    done = django_filters.BooleanFilter(label=_("Done"))
    company = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Company"), label=_("Company"))
    contact = django_filters.ModelChoiceFilter(queryset=visible_choices("contacts.Contact"), label=_("Contact"))
    deal = django_filters.ModelChoiceFilter(queryset=visible_choices("deals.Deal"), label=_("Deal"))
    occurred_after = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From"), widget=DATE
    )
    occurred_before = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("Until"), widget=DATE
    )
    due_after = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__gte", label=_("Due from"), widget=DATE
    )
    due_before = django_filters.DateFilter(
        field_name="due_at", lookup_expr="date__lte", label=_("Due until"), widget=DATE
    )

    class Meta:
        model = Activity
        fields = (
            "q",
            "kind",
            "done",
            "company",
            "contact",
            "deal",
            "occurred_after",
            "occurred_before",
            "due_after",
            "due_before",
            "owner",
            "tag",
            "created_after",
            "created_before",
        )

    def filter_search(self, queryset, name, value):
        """Subject, place and call outcome, with their pinyin, from the stored search
        text (a trigram index serves it on PostgreSQL)."""
        return search_text_matches(queryset, value)
