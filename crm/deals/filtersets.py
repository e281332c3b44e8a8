import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Team
from crm.core.filtersets import RecordFilterSet
from crm.core.search import search_text_matches

from .models import Deal, DealSource, DealStatus, Pipeline, Stage
from .selectors import deals_of_team, stale_condition

DATE = forms.DateInput(attrs={"type": "date"})


def deals_search(queryset, value: str, *, typos: bool = True):
    """Deals matching a search box query by name or its pinyin: the shared search over
    the stored search text, served by a trigram index on PostgreSQL."""
    return search_text_matches(queryset, value, typos=typos)


def _stages(request=None):
    return Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position", "id")


class DealFilterSet(RecordFilterSet):
    search_fields = ("search_text",)

    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.order_by("position", "id"), label=_("Pipeline")
    )
    stage = django_filters.ModelChoiceFilter(queryset=_stages, label=_("Stage"))
    status = django_filters.ChoiceFilter(choices=DealStatus.choices, label=_("Status"))
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("name"), field_name="owner__team", method="filter_team", label=_("Team")
    )
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label=_("Amount from"))
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label=_("Amount up to"))
    close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Closing from"), widget=DATE
    )
    close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Closing until"), widget=DATE
    )
    source = django_filters.ChoiceFilter(choices=DealSource.choices, label=_("Source"))
    stale = django_filters.BooleanFilter(
        method="filter_stale",
        label=_("Stale"),
        widget=forms.Select(choices=[("", "---------"), ("true", _("Only stale deals")), ("false", _("Not stale"))]),
    )
    # By id, for the API and for links from a company's or contact's page; not shown in the form.
    company = django_filters.NumberFilter(field_name="company_id", label=_("Company id"), widget=forms.HiddenInput)
    contact = django_filters.NumberFilter(field_name="contacts", label=_("Contact id"), widget=forms.HiddenInput)

    class Meta:
        model = Deal
        fields = (
            "q",
            "pipeline",
            "stage",
            "status",
            "owner",
            "team",
            "min_amount",
            "max_amount",
            "close_after",
            "close_before",
            "source",
            "stale",
            "tag",
            "created_after",
            "created_before",
            "company",
            "contact",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["stage"].field.label_from_instance = lambda stage: f"{stage.pipeline} · {stage}"

    def filter_search(self, queryset, name, value):
        return deals_search(queryset, value)

    def filter_team(self, queryset, name, value):
        return deals_of_team(queryset, value.pk) if value else queryset

    def filter_stale(self, queryset, name, value):
        if value is None:
            return queryset
        condition = stale_condition()
        return queryset.filter(condition) if value else queryset.exclude(condition)
