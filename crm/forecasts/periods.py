"""Forecast periods: a month, quarter or year in the company time zone."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.errors import ValidationFailed


class PeriodKind(models.TextChoices):
    MONTH = "month", gettext_lazy("Month")
    QUARTER = "quarter", gettext_lazy("Quarter")
    YEAR = "year", gettext_lazy("Year")


_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


def company_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def company_today() -> datetime.date:
    return timezone.now().astimezone(company_zone()).date()


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week ``day`` is in."""
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        year, month = self.start.year, self.start.month
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        month += months
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        return datetime.date(year, month, 1)

    @property
    def start_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=company_zone())

    @property
    def end_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.end, datetime.time.min, tzinfo=company_zone())

    @property
    def key(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return _("%(year)s") % {"year": self.start.year}
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(quarter)s %(year)s") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
        return date_format(self.start, "YEAR_MONTH_FORMAT")

    def __str__(self) -> str:
        return self.label

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    @property
    def is_past(self) -> bool:
        return self.end <= company_today()

    def months(self) -> list[Period]:
        """The months of a quarter or year (a month is its own only month)."""
        out, day = [], self.start
        while day < self.end:
            out.append(Period(PeriodKind.MONTH, day))
            day = Period(PeriodKind.MONTH, day).end
        return out

    def shifted(self, steps: int) -> Period:
        months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind] * steps
        index = self.start.year * 12 + self.start.month - 1 + months
        return Period(self.kind, datetime.date(index // 12, index % 12 + 1, 1))


def period_containing(day: datetime.date, kind: str = PeriodKind.QUARTER) -> Period:
    if kind == PeriodKind.YEAR:
        return Period(PeriodKind.YEAR, datetime.date(day.year, 1, 1))
    if kind == PeriodKind.QUARTER:
        return Period(PeriodKind.QUARTER, datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
    return Period(PeriodKind.MONTH, day.replace(day=1))


def current_period(kind: str = PeriodKind.QUARTER) -> Period:
    return period_containing(company_today(), kind)


def parse_period(value: str | None, *, field: str = "period") -> Period:
    """``2026-11``, ``2026-Q4`` or ``2026``; empty means the current quarter."""
    value = (value or "").strip()
    if not value:
        return current_period()
    match = _KEY.match(value)
    year = int(match.group("year")) if match else 0
    if match is None or not 1900 <= year <= 2999:
        raise ValidationFailed(
            fields={field: [_("Enter a period as 2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year).")]}
        )
    if match.group("quarter"):
        return Period(PeriodKind.QUARTER, datetime.date(year, (int(match.group("quarter")) - 1) * 3 + 1, 1))
    if match.group("month"):
        month = int(match.group("month"))
        if not 1 <= month <= 12:
            raise ValidationFailed(fields={field: [_("A month is a number from 1 to 12.")]})
        return Period(PeriodKind.MONTH, datetime.date(year, month, 1))
    return Period(PeriodKind.YEAR, datetime.date(year, 1, 1))


def period_from_parts(kind: str, start: datetime.date, *, field: str = "period_start") -> Period:
    """A period from its kind and first day, refusing a start that is not one."""
    if kind not in PeriodKind.values:
        raise ValidationFailed(fields={"period_kind": [_("Choose month, quarter or year.")]})
    period = period_containing(start, kind)
    if period.start != start:
        raise ValidationFailed(
            fields={field: [_("A period starts on its first day (%(day)s).") % {"day": period.start}]}
        )
    return period


def period_choices(around: Period | None = None) -> list[Period]:
    """The periods the picker offers: this year's and last year's quarters and months, and three years."""
    today = company_today()
    this_year = today.year
    periods: list[Period] = []
    for year in (this_year + 1, this_year, this_year - 1):
        periods.append(Period(PeriodKind.YEAR, datetime.date(year, 1, 1)))
        for quarter in (4, 3, 2, 1):
            periods.append(Period(PeriodKind.QUARTER, datetime.date(year, (quarter - 1) * 3 + 1, 1)))
        for month in range(12, 0, -1):
            periods.append(Period(PeriodKind.MONTH, datetime.date(year, month, 1)))
    if around is not None and around not in periods:
        periods.insert(0, around)
    return periods
