"""Scheduled work of the notification centre."""

from __future__ import annotations

from celery import shared_task

from .services import notifications_purge, outbox_send


@shared_task(name="crm.notifications.tasks.notifications_purge_task")
def notifications_purge_task() -> dict:
    """Nightly: old read notifications and old sent e-mails are deleted."""
    return notifications_purge()


@shared_task(name="crm.notifications.tasks.outbox_send_task")
def outbox_send_task() -> int:
    """Send what waits in the e-mail outbox (also done after every reminder batch)."""
    return outbox_send()
