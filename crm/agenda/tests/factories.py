import datetime

from django.utils import timezone

from crm.activities.models import ActivityKind
from crm.activities.tests.factories import ActivityFactory


def task(owner, due, **kw):
    return ActivityFactory(
        owner=owner, kind=ActivityKind.TASK, due_at=due, subject=kw.pop("subject", "跟进报价 task"), **kw
    )


def meeting(owner, start, minutes=60, **kw):
    return ActivityFactory(
        owner=owner,
        kind=ActivityKind.MEETING,
        occurred_at=start,
        end_at=start + datetime.timedelta(minutes=minutes),
        subject=kw.pop("subject", "客户拜访 meeting"),
        **kw,
    )


def today():
    return timezone.localdate()


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware time on a day in the active time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
