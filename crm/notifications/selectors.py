"""Reads of a user's own notifications (nobody reads anyone else's)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification

# The bell shows "99+" beyond this; counting stops there.
BELL_CAP = 99


def notifications_for(*, user, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user, cap: int | None = None) -> int:
    """Unread notifications of ``user``, counted from the inbox index; with ``cap``,
    at most cap + 1 rows are counted (the bell only needs to know "more than 99")."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if cap is not None:
        return qs.values("pk")[: cap + 1].count()
    return qs.count()


def bell_label(count: int) -> str:
    return f"{BELL_CAP}+" if count > BELL_CAP else str(count)
