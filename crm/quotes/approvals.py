"""The approval step of a quote, kept in one module so a workflow app can take it over.

Rule: a quote whose largest line discount is above ``QuoteSettings.max_discount_without_approval``
needs approval. Saving such a quote puts it into ``needs_approval``; it cannot be sent or
accepted until approved. The approver is the manager of the owner's team, walking up the
team parents past teams without a manager (and past the owner, when the owner manages the
team); every manager further up the chain and every administrator may decide too.
Decisions (approve / reject, with a comment) are recorded on the quote and in the audit log,
and the approver and the owner are notified (``crm.notifications``, when installed).
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record
from crm.core.errors import PermissionDeniedError, UnprocessableError, ValidationFailed

from .models import Quote, QuoteSettings, QuoteStatus

MAX_TEAM_DEPTH = 50


def approval_threshold() -> Decimal:
    return QuoteSettings.load().max_discount_without_approval


def needs_approval(max_discount_percent: Decimal, *, threshold: Decimal | None = None) -> bool:
    threshold = approval_threshold() if threshold is None else threshold
    return Decimal(max_discount_percent) > threshold


def approver_chain(owner) -> list:
    """The managers above ``owner``, nearest first (the first one is the approver)."""
    chain: list = []
    if owner is None:
        return chain
    team, seen = owner.team, set()
    while team is not None and team.pk not in seen and len(seen) < MAX_TEAM_DEPTH:
        seen.add(team.pk)
        manager = team.manager
        if manager is not None and manager.pk != owner.pk and manager.is_active and manager not in chain:
            chain.append(manager)
        team = team.parent
    return chain


def approver_for(owner):
    chain = approver_chain(owner)
    return chain[0] if chain else None


def can_approve(user, quote: Quote) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_crm_admin:
        return True
    if quote.owner_id == user.pk:
        return False
    return any(manager.pk == user.pk for manager in approver_chain(quote.owner))


def _notify(*, user, kind: str, title_fn, body: str, quote: Quote, key: str) -> None:
    """Notify ``user`` in the user's language, after the transaction commits."""
    if user is None or not apps.is_installed("crm.notifications"):
        return
    from crm.notifications.services import in_user_locale, notify

    url = quote.get_absolute_url()

    def send():
        with in_user_locale(user):
            notify(user=user, kind=kind, title=str(title_fn()), body=body, url=url, key=key)

    transaction.on_commit(send)


def on_needs_approval(quote: Quote, *, actor) -> None:
    """Called by the services when a save puts the quote into needs_approval."""
    approver = quote.approver
    number = quote.display_number
    _notify(
        user=approver,
        kind="quote_approval",
        title_fn=lambda: _("Quote %(number)s needs your approval") % {"number": number},
        body=str(quote.title or ""),
        quote=quote,
        key=f"quote-approval-{quote.pk}-{quote.version}",
    )


def _decide(*, quote: Quote, actor, approve: bool, comment: str, expected_version=None) -> Quote:
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed(fields={"comment": [_("Say why the quote is rejected.")]})
    with transaction.atomic():
        current = Quote.objects.select_for_update().get(pk=quote.pk)
        if expected_version is not None and current.version != expected_version:
            from crm.core.errors import ConflictError

            raise ConflictError()
        if current.status != QuoteStatus.NEEDS_APPROVAL:
            raise UnprocessableError(_("Only a quote waiting for approval can be approved or rejected."))
        if not can_approve(actor, current):
            raise PermissionDeniedError(_("Only the owner's manager or an administrator can decide on this quote."))
        old_status = current.status
        current.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.decision_comment = comment[:2000]
        current.version += 1
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "version", "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=[
                {"field": "status", "old": old_status, "new": current.status},
                {"field": "decision_comment", "old": "", "new": current.decision_comment},
            ],
            extra={"approval": "approved" if approve else "rejected"},
        )
        number = current.display_number
        if approve:
            title_fn = lambda: _("Quote %(number)s was approved") % {"number": number}  # noqa: E731
        else:
            title_fn = lambda: _("Quote %(number)s was rejected") % {"number": number}  # noqa: E731
        if current.owner_id and current.owner_id != getattr(actor, "pk", None):
            _notify(
                user=current.owner,
                kind="quote_decision",
                title_fn=title_fn,
                body=current.decision_comment,
                quote=current,
                key=f"quote-decision-{current.pk}-{current.version}",
            )
    return current


def quote_approve(*, quote: Quote, actor, comment: str = "", expected_version=None) -> Quote:
    return _decide(quote=quote, actor=actor, approve=True, comment=comment, expected_version=expected_version)


def quote_reject(*, quote: Quote, actor, comment: str, expected_version=None) -> Quote:
    return _decide(quote=quote, actor=actor, approve=False, comment=comment, expected_version=expected_version)


def require_cleared(quote: Quote, *, doing: str) -> None:
    """Refuse (422) sending or accepting a quote whose approval is missing."""
    if quote.status == QuoteStatus.NEEDS_APPROVAL:
        if doing == "send":
            raise UnprocessableError(_("This quote needs approval before it can be sent."))
        raise UnprocessableError(_("This quote needs approval before it can be accepted."))
    if quote.status == QuoteStatus.REJECTED:
        raise UnprocessableError(_("This quote was rejected; revise it and submit the new version."))
    if quote.approval_required and quote.status == QuoteStatus.DRAFT:
        raise UnprocessableError(_("This quote needs approval before it can be sent."))
