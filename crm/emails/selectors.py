"""Reads for e-mail, each starting from what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from crm.activities.models import Activity
from crm.core.visibility import visible_to

from .models import EmailMessage, EmailTemplate


def templates_visible_to(user) -> QuerySet[EmailTemplate]:
    """A user's own templates and the shared ones; administrators see all."""
    qs = EmailTemplate.objects.select_related("owner")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_crm_admin:
        return qs
    return qs.filter(Q(owner=user) | Q(shared=True))


def emails_visible_to(user) -> QuerySet[EmailMessage]:
    """The logged messages whose activity the user may read (so the recycle bin and the
    activities' scopes apply to the e-mail too)."""
    return EmailMessage.objects.filter(activity__in=visible_to(user, Activity).values("pk")).select_related(
        "activity", "activity__contact", "activity__company", "activity__deal", "logged_by"
    )
