"""Demo data: a welcome notification for each demo user, in their language, so the bell
has something to show on a fresh demo (reminders of the demo's tasks and meetings
arrive through the reminder job once it runs)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .models import Notification
from .services import in_user_locale

BATCH = 2000
WELCOME_KEY = "demo:welcome"


def seed_notifications(*, user_ids: list[int] | None = None, seed: int = 2026, progress: Callable | None = None) -> int:
    """One unread welcome notification per active user (or those in ``user_ids``), in
    bulk inserts of BATCH. Safe to run twice (the key is per user). ``seed`` is taken
    for the same signature as the other demo generators; nothing here is random.
    Returns how many were created."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    have = set(Notification.objects.filter(key=WELCOME_KEY).values_list("user_id", flat=True))
    rows, created = [], 0
    total = users.count()
    for done, user in enumerate(users.iterator(chunk_size=BATCH), start=1):
        if user.pk not in have:
            with in_user_locale(user):
                rows.append(
                    Notification(
                        user=user,
                        kind="welcome",
                        title=_("Welcome to the CRM"),
                        body=_("Reminders of your tasks and meetings, approvals and other news arrive here."),
                        url="/notifications/",
                        key=WELCOME_KEY,
                    )
                )
        if len(rows) >= BATCH:
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)
            rows = []
        if progress is not None and (done % BATCH == 0 or done == total):
            progress("notifications", done, total)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return created + len(rows)
