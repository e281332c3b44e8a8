from collections import OrderedDict

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from crm.core.pagination import capped_count


class CappedPageNumberPagination(PageNumberPagination):
    """Page numbers with a count that stops at 10,000 (``count_capped`` says so)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        self.count, self.capped = capped_count(queryset)
        last = max(1, -(-self.count // page_size))
        try:
            number = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except ValueError:
            number = 1
        self.number = number if self.capped else min(number, last)
        self.page_size = page_size
        offset = (self.number - 1) * page_size
        return list(queryset[offset : offset + page_size])

    def _link(self, number):
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, number)

    def get_paginated_response(self, data):
        # Past the capped count there may be more: a full page says so.
        full = len(data) == self.page_size
        has_next = self.number * self.page_size < self.count or (self.capped and full)
        return Response(
            OrderedDict(
                count=self.count,
                count_capped=self.capped,
                next=self._link(self.number + 1) if has_next else None,
                previous=self._link(self.number - 1) if self.number > 1 else None,
                results=data,
            )
        )

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        base["properties"]["count_capped"] = {"type": "boolean"}
        return base
