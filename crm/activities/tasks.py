"""Scheduled work of the activities app."""

from __future__ import annotations

from celery import shared_task

from .reminders import send_due_reminders


@shared_task(name="crm.activities.tasks.send_due_reminders_task")
def send_due_reminders_task() -> dict:
    """Celery beat runs this every minute: the due reminders of tasks and meetings, then
    the e-mails waiting in the outbox. Safe to run twice or on two workers at once."""
    return send_due_reminders()
