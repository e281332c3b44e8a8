"""Page-number pagination whose count stops at a cap, so a list of millions stays fast."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

COUNT_CAP = getattr(settings, "LIST_COUNT_CAP", 10_000)
PAGE_SIZES = (25, 50, 100, 200)


@dataclass
class CappedPage:
    object_list: list
    number: int
    per_page: int
    count: int
    capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        if self.capped:
            return len(self.object_list) == self.per_page
        return self.number * self.per_page < self.count

    @property
    def start_index(self) -> int:
        return 0 if not self.object_list else (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


def parse_int(raw, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    value = max(minimum, value)
    return min(value, maximum) if maximum is not None else value


def capped_count(qs, cap: int | None = None) -> tuple[int, bool]:
    cap = cap or COUNT_CAP
    count = qs.order_by()[: cap + 1].count()
    return (cap, True) if count > cap else (count, False)


def paginate(qs, *, page, per_page, cap: int | None = None) -> CappedPage:
    per_page = per_page if per_page in PAGE_SIZES else 50
    count, capped = capped_count(qs, cap)
    last_page = max(1, -(-count // per_page))
    # Beyond a capped count the real last page is unknown, so any page may be asked for.
    number = parse_int(page, 1, maximum=None if capped else last_page)
    offset = (number - 1) * per_page
    return CappedPage(list(qs[offset : offset + per_page]), number, per_page, count, capped)
