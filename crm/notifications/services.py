"""Telling users things: in-app notifications and the e-mail outbox.

Any app calls ``notify``; texts are rendered by the caller in the recipient's
language and time zone (``in_user_locale`` / ``render_for``), because a job runs in
no user's request.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db import connection as django_connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.core.errors import NotFoundError, ValidationFailed

from .models import Notification, OutboundEmail

log = logging.getLogger(__name__)

# An e-mail that failed this many times is left with its last error and not retried.
OUTBOX_MAX_ATTEMPTS = 5
# How long a worker owns the e-mails it claimed; a worker killed while sending leaves
# them to be retried by the next run after this.
OUTBOX_LEASE = datetime.timedelta(minutes=5)
OUTBOX_BATCH = 100


# Rendering in the recipient's language and time zone --------------------------------
def user_language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def user_time_zone(user) -> zoneinfo.ZoneInfo:
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextlib.contextmanager
def in_user_locale(user) -> Iterator[None]:
    """Inside, gettext speaks the user's language and times show in their time zone."""
    with translation.override(user_language(user)), timezone.override(user_time_zone(user)):
        yield


def render_for(user, render: Callable[..., Any], *args, **kwargs) -> Any:
    """``render(*args, **kwargs)`` in the user's language and time zone: the texts of a
    notification or an e-mail, e.g. ``render_for(user, lambda: _("Quote %(n)s approved") % …)``."""
    with in_user_locale(user):
        return render(*args, **kwargs)


# Notifications ----------------------------------------------------------------------
def _check_url(url: str) -> str:
    url = (url or "").strip()
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url):
        raise ValueError("A notification links inside the CRM: a path starting with a single '/'.")
    return url


def notify(
    *, user, kind: str, title: str, body: str = "", url: str = "", key: str | None = None
) -> Notification | None:
    """Notify ``user``. With a ``key``, a second call with the same key for the same user
    does nothing and returns None, so a retried job never notifies twice. Runs in a
    savepoint, so it is safe inside the caller's transaction (a duplicate does not
    break it)."""
    notification = Notification(
        user=user,
        kind=kind[:40],
        title=title[:200],
        body=body,
        url=_check_url(url),
        key=key or None,
    )
    if notification.key is not None and Notification.objects.filter(user=user, key=notification.key).exists():
        return None
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        # Written by someone else between the check and the insert.
        if notification.key is not None:
            return None
        raise
    return notification


def notify_many(items: Iterable[dict]) -> list[Notification]:
    """Many notifications in one insert (for jobs): each item has the arguments of
    ``notify``. Those whose (user, key) already exists are left out; returns the new ones."""
    rows = [
        Notification(
            user_id=item["user"].pk if hasattr(item["user"], "pk") else item["user"],
            kind=item["kind"][:40],
            title=item["title"][:200],
            body=item.get("body", ""),
            url=_check_url(item.get("url", "")),
            key=item.get("key") or None,
        )
        for item in items
    ]
    keys = {row.key for row in rows if row.key}
    existing = set()
    if keys:
        existing = set(Notification.objects.filter(key__in=keys).values_list("user_id", "key"))
    fresh, seen = [], set()
    for row in rows:
        if row.key is not None:
            if (row.user_id, row.key) in existing or (row.user_id, row.key) in seen:
                continue
            seen.add((row.user_id, row.key))
        fresh.append(row)
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return fresh


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read: those in ``ids``, or all when None. An id
    that is not one of the user's (someone else's, or none at all) is 404 and nothing
    is marked. Returns how many changed."""
    mine = Notification.objects.filter(user=user)
    if ids is not None:
        try:
            wanted = {int(i) for i in ids if not isinstance(i, bool)}
        except (TypeError, ValueError):
            raise ValidationFailed(fields={"ids": [_("Give the ids of notifications.")]}) from None
        if len(wanted) != mine.filter(pk__in=wanted).count():
            raise NotFoundError()
        mine = mine.filter(pk__in=wanted)
    return mine.filter(read_at__isnull=True).update(read_at=timezone.now())


# The e-mail outbox --------------------------------------------------------------------
def email_enqueue(*, to: str, subject: str, body: str, key: str | None = None) -> OutboundEmail | None:
    """Queue an e-mail; write it in the same transaction as what caused it. With a key
    already queued, does nothing and returns None."""
    if key and OutboundEmail.objects.filter(key=key).exists():
        return None
    row = OutboundEmail(to=to, subject=subject[:255], body=body, key=key or None)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        if key:
            return None
        raise
    return row


def email_enqueue_many(rows: Iterable[dict]) -> int:
    """Queue many e-mails in one insert (for jobs); keys already queued are left out."""
    emails = [
        OutboundEmail(to=r["to"], subject=r["subject"][:255], body=r["body"], key=r.get("key") or None) for r in rows
    ]
    keys = {e.key for e in emails if e.key}
    existing = set(OutboundEmail.objects.filter(key__in=keys).values_list("key", flat=True)) if keys else set()
    fresh = [e for e in emails if e.key is None or e.key not in existing]
    OutboundEmail.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _claim(now: datetime.datetime, limit: int) -> list[OutboundEmail]:
    """Take up to ``limit`` unsent e-mails no other worker holds: rows locked by another
    worker's claim are skipped (PostgreSQL; SQLite's IMMEDIATE transactions run one
    claim at a time), and each claimed row is leased to this worker for OUTBOX_LEASE."""
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, attempts__lt=OUTBOX_MAX_ATTEMPTS)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("id")[:limit]
        )
        if rows:
            OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).update(claimed_until=now + OUTBOX_LEASE)
    return rows


def outbox_send(*, limit: int | None = None, batch_size: int = OUTBOX_BATCH) -> int:
    """Send queued e-mails, batch by batch, until none is left (or ``limit`` were
    tried). Each e-mail's ``sent_at`` is committed right after the SMTP server took it,
    so a crash can resend only the one e-mail in flight. A failure is counted and
    retried by a later run (after the lease), at most OUTBOX_MAX_ATTEMPTS times.
    Returns how many were sent."""
    sent = tried = 0
    connection = None
    relaxed = _relax_commits()
    try:
        while limit is None or tried < limit:
            now = timezone.now()
            rows = _claim(now, batch_size if limit is None else min(batch_size, limit - tried))
            if not rows:
                break
            if connection is None:
                connection = get_connection(fail_silently=False)
            for row in rows:
                tried += 1
                message = EmailMessage(
                    subject=row.subject,
                    body=row.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[row.to],
                    connection=connection,
                )
                try:
                    message.send()
                except Exception as exc:  # any SMTP or network failure: retried later
                    log.warning("e-mail %s to %s failed: %s", row.pk, row.to, exc)
                    OutboundEmail.objects.filter(pk=row.pk).update(
                        attempts=row.attempts + 1, last_error=str(exc)[:2000]
                    )
                    continue
                OutboundEmail.objects.filter(pk=row.pk).update(
                    sent_at=timezone.now(), attempts=row.attempts + 1, last_error=""
                )
                sent += 1
    finally:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        if relaxed:
            _restore_commits()
    return sent


def _relax_commits() -> bool:
    """On PostgreSQL, the small commits of ``sent_at`` do not wait for the disk
    (``synchronous_commit = off``): they are committed, and survive this worker dying,
    but a crash of the database server itself within a fraction of a second could
    forget the last few, and those e-mails would be sent again. Waiting for the disk
    after every e-mail would cost more than sending it. Not inside a transaction
    (there the caller's commit decides)."""
    db = django_connection
    if db.vendor != "postgresql" or db.in_atomic_block:
        return False
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    return True


def _restore_commits() -> None:
    with contextlib.suppress(Exception), django_connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")


# Keeping the tables small -------------------------------------------------------------
NOTIFICATION_KEEP_DAYS = 90
OUTBOX_KEEP_DAYS = 30


def notifications_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete notifications read more than NOTIFICATION_KEEP_DAYS ago and e-mails sent
    more than OUTBOX_KEEP_DAYS ago (unread notifications and unsent e-mails stay)."""
    now = now or timezone.now()
    notifications, _detail = Notification.objects.filter(
        read_at__lt=now - datetime.timedelta(days=NOTIFICATION_KEEP_DAYS)
    ).delete()
    emails, _detail = OutboundEmail.objects.filter(sent_at__lt=now - datetime.timedelta(days=OUTBOX_KEEP_DAYS)).delete()
    return {"notifications": notifications, "emails": emails}
