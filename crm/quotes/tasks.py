from __future__ import annotations

from celery import shared_task

from .services import quotes_expire


@shared_task(name="crm.quotes.tasks.quotes_expire_task")
def quotes_expire_task() -> int:
    """Scheduled (nightly): sent quotes past their validity become expired."""
    return quotes_expire()
