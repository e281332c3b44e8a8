import django_filters
from django.utils.translation import gettext_lazy as _

from crm.core.filtersets import RecordFilterSet

from .models import Product, ProductCategory, ProductKind
from .selectors import products_search


class ProductFilterSet(RecordFilterSet):
    search_fields = ("search_text",)
    category = django_filters.ModelChoiceFilter(queryset=ProductCategory.objects.all(), label=_("Category"))
    kind = django_filters.ChoiceFilter(choices=ProductKind.choices, label=_("Kind"))
    active = django_filters.BooleanFilter(label=_("Active"))
    currency = django_filters.CharFilter(label=_("Currency"), method="filter_currency")

    class Meta:
        model = Product
        fields = ("q", "category", "kind", "active", "currency", "owner", "tag", "created_after", "created_before")

    def filter_search(self, queryset, name, value):
        return products_search(queryset, value)

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper())
