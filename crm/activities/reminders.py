"""Reminders of tasks and meetings: the job that sends the due ones.

An activity with ``remind_minutes_before`` gets ``remind_at`` from the services (the
task's due time or the meeting's start, minus the minutes). Every minute Celery beat
runs ``send_due_reminders``, which claims the due, unsent reminders in batches. For
each batch, in one transaction: the rows are locked with ``SELECT … FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite's IMMEDIATE transactions let one writer in at a time),
``reminded_at`` is set, and the in-app notification and the e-mail outbox row are
written. So:

- two workers never send the same reminder: a row one of them locked is skipped by
  the other, and once committed it is no longer due;
- a worker killed in the middle of a batch rolls the whole batch back (nothing was
  marked, no notification, no e-mail row), and the next run sends it: nothing lost.

The e-mails leave from the outbox after the batch commits (``outbox_send``); see
``crm.notifications.services`` for what is guaranteed there.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.notifications.services import email_enqueue_many, in_user_locale, notify_many, outbox_send

from .models import Activity, ActivityKind

BATCH_SIZE = 500
REMINDER_KIND = "reminder"


def due_reminders(now: datetime.datetime):
    """The reminders to send now (the partial index on remind_at serves this)."""
    return Activity.objects.filter(
        remind_at__lte=now,
        remind_at__isnull=False,
        reminded_at__isnull=True,
        deleted_at__isnull=True,
        owner__is_active=True,
    )


def reminder_key(activity: Activity) -> str:
    return f"reminder:{activity.pk}:{int(activity.remind_at.timestamp())}"


def reminder_texts(activity: Activity) -> dict[str, str]:
    """Title, notification text and e-mail of one reminder, in the owner's language and
    time zone (call inside ``in_user_locale(owner)``)."""
    start = timezone.localtime(activity.starts_at)
    when = formats.date_format(start, "DATETIME_FORMAT")
    zone = timezone.get_current_timezone_name()
    if activity.kind == ActivityKind.MEETING:
        title = _("Meeting: %(subject)s") % {"subject": activity.subject}
        if activity.place:
            text = _("Starts %(when)s (%(zone)s). Place: %(place)s") % {
                "when": when,
                "zone": zone,
                "place": activity.place,
            }
        else:
            text = _("Starts %(when)s (%(zone)s).") % {"when": when, "zone": zone}
    else:
        title = _("Task due: %(subject)s") % {"subject": activity.subject}
        text = _("Due %(when)s (%(zone)s).") % {"when": when, "zone": zone}
    path = activity.get_absolute_url()
    link = settings.SITE_URL + path
    subject = _("Reminder: %(title)s") % {"title": title}
    email = "\n\n".join(
        [
            title,
            text,
            _("Open it in the CRM: %(link)s") % {"link": link},
            _("You receive this e-mail because you set a reminder on this activity."),
        ]
    )
    return {"title": title, "body": text, "url": path, "subject": subject, "email": email}


def _send_batch(now: datetime.datetime, batch_size: int) -> int:
    """Claim and handle one batch, all in one transaction. Returns its size."""
    with transaction.atomic():
        batch = list(
            due_reminders(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("owner")
            .order_by("remind_at", "pk")[:batch_size]
        )
        if not batch:
            return 0
        notifications, emails = [], []
        for activity in batch:
            owner = activity.owner
            with in_user_locale(owner):
                texts = reminder_texts(activity)
            key = reminder_key(activity)
            notifications.append(
                {
                    "user": owner,
                    "kind": REMINDER_KIND,
                    "title": texts["title"],
                    "body": texts["body"],
                    "url": texts["url"],
                    "key": key,
                }
            )
            if owner.email:
                emails.append({"to": owner.email, "subject": texts["subject"], "body": texts["email"], "key": key})
        Activity.all_objects.filter(pk__in=[a.pk for a in batch]).update(reminded_at=now)
        created = {n.key for n in notify_many(notifications)}
        # A reminder already told (same activity and time: rescheduled back) is not e-mailed again.
        email_enqueue_many([e for e in emails if e["key"] in created])
    return len(batch)


def send_due_reminders(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Send every due reminder, batch by batch, then the e-mails. Safe to run on several
    workers at once and to run again. Returns how many reminders and e-mails were sent."""
    now = now or timezone.now()
    reminders = emails = 0
    while True:
        handled = _send_batch(now, batch_size)
        reminders += handled
        if handled:
            # The batch is committed: its e-mails can go (and any left from before).
            emails += outbox_send()
        if handled < batch_size:
            break
    if not reminders:
        emails += outbox_send()  # left over by an earlier run (a failure, a crash)
    return {"reminders": reminders, "emails": emails}
