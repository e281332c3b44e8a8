import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet
from crm.core.search import search_text_matches

from .models import Lead, LeadSource, LeadStatus, WebForm


def leads_search(queryset, value: str, *, typos: bool = True):
    """Leads matching a search box query (name, pinyin, company name, e-mail, phone
    digits): the shared search over the stored search text, as for contacts."""
    return search_text_matches(queryset, value, typos=typos)


class LeadFilterSet(RecordFilterSet):
    search_fields = ("search_text",)
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, label=_("Source"))
    region = django_filters.CharFilter(lookup_expr="icontains", label=_("Region"))
    campaign = django_filters.CharFilter(lookup_expr="icontains", label=_("Campaign"))
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=_("Score at least"))
    web_form = django_filters.ModelChoiceFilter(queryset=WebForm.objects.all(), label=_("Web form"))
    inactive_days = django_filters.NumberFilter(
        method="filter_inactive", label=_("Untouched for (days)"), min_value=1, max_value=3650
    )

    class Meta:
        model = Lead
        fields = (
            "q",
            "owner",
            "status",
            "source",
            "region",
            "campaign",
            "score_min",
            "web_form",
            "inactive_days",
            "tag",
            "created_after",
            "created_before",
        )

    def filter_search(self, queryset, name, value):
        return leads_search(queryset, value)

    def filter_inactive(self, queryset, name, value):
        """Leads with nothing logged in the last ``value`` days: the last activity is
        older, or there is none and the lead itself is older."""
        cutoff = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff))
