from rest_framework.filters import OrderingFilter as DRFOrderingFilter


class OrderingFilter(DRFOrderingFilter):
    """``?ordering=name,-created_at`` over the view's ordering_fields, pk as tie-break."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            last = ordering[-1]
            return queryset.order_by(*ordering, "-pk" if last.startswith("-") else "pk")
        return queryset
