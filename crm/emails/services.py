"""Writes for e-mail: templates, sending from the CRM, logging mail sent elsewhere, and
the users' logging addresses.

Every message ends up the same way: an e-mail activity created through
``crm.activities.services.activity_create`` (so it is audited, on the contact's
timeline and moves "last contact") plus one ``EmailMessage`` row with the addresses
and the Message-ID, which is unique, so a message is never logged twice.
"""

from __future__ import annotations

import datetime
import secrets
import smtplib
from base64 import b32encode
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, make_msgid
from django.core.mail import EmailMessage as MailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.activities.models import ActivityKind
from crm.activities.services import activity_create
from crm.audit.services import Action, audit_record, diff, snapshot
from crm.contacts.models import Contact
from crm.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    UnprocessableError,
    ValidationFailed,
)
from crm.core.text import clean_text
from crm.core.visibility import visible_to
from crm.deals.models import Deal

from . import merge
from .inbound import MalformedMessage, ParsedMessage, parse_message
from .models import Direction, EmailMessage, EmailSource, EmailTemplate, LoggingAddress
from .selectors import templates_visible_to

SEND_PERMISSION = "activities.add_activity"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_CC = 20
SUBJECT_MAX = 200


class EmailNotSent(ServiceError):
    """The mail server refused or could not be reached; nothing was logged."""

    status = 502
    code = "email_not_sent"
    default_message = gettext_lazy(
        "The e-mail could not be sent: the mail server did not accept it. Nothing was logged; try again later."
    )


class MalformedEmail(ServiceError):
    status = 400
    code = "malformed_email"
    default_message = gettext_lazy("This is not an e-mail message the CRM can read: it has no sender (From).")


class UnknownLoggingAddress(ServiceError):
    status = 403
    code = "unknown_logging_address"
    default_message = gettext_lazy(
        "None of the recipients is a valid logging address: it is unknown, or it was replaced by a newer one."
    )


def require_mailer(actor) -> None:
    """Writing and sending e-mail is for those who may log activities."""
    if actor is not None and not actor.has_perm(SEND_PERMISSION):
        raise PermissionDeniedError()


def can_change_template(user, template: EmailTemplate) -> bool:
    return bool(user.is_crm_admin or (template.owner_id is not None and template.owner_id == user.pk))


# Templates ----------------------------------------------------------------------------
def _template_clean(instance: EmailTemplate, data: dict) -> dict:
    unknown = sorted(set(data) - set(EmailTemplate.EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(fields={k: [_("This field cannot be set.")] for k in unknown})
    cleaned = dict(data)
    if isinstance(cleaned.get("name"), str):
        cleaned["name"] = clean_text(cleaned["name"])
    if isinstance(cleaned.get("subject"), str):
        # One line, punctuation as typed (a Chinese subject keeps its full-width colon).
        cleaned["subject"] = " ".join(cleaned["subject"].split())
    if isinstance(cleaned.get("body"), str):
        # Plain text: line breaks are the layout, only the ends are trimmed.
        cleaned["body"] = cleaned["body"].replace("\r\n", "\n").strip()
    errors = merge.merge_field_errors(
        subject=cleaned.get("subject", instance.subject), body=cleaned.get("body", instance.body)
    )
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _template_save(instance: EmailTemplate, actor, data: dict, before: dict | None) -> EmailTemplate:
    for key, value in data.items():
        setattr(instance, key, value)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
    with transaction.atomic():
        instance.save()
        if before is None:
            changes = [
                {"field": k, "old": None, "new": v}
                for k, v in snapshot(instance).items()
                if v not in (None, "", {}, []) and k not in {"id", "created_at"}
            ]
            audit_record(action=Action.CREATE, actor=actor, instance=instance, changes=changes)
        else:
            changes = diff(before, snapshot(instance))
            if changes:
                audit_record(action=Action.UPDATE, actor=actor, instance=instance, changes=changes)
    return instance


def template_create(*, actor, data: dict) -> EmailTemplate:
    require_mailer(actor)
    instance = EmailTemplate(owner=actor)
    return _template_save(instance, actor, _template_clean(instance, data), None)


def template_update(*, instance: EmailTemplate, actor, data: dict) -> EmailTemplate:
    require_mailer(actor)
    with transaction.atomic():
        current = EmailTemplate.objects.select_for_update().get(pk=instance.pk)
        if actor is not None and not can_change_template(actor, current):
            raise PermissionDeniedError()
        return _template_save(current, actor, _template_clean(current, data), snapshot(current))


def template_delete(*, instance: EmailTemplate, actor) -> None:
    require_mailer(actor)
    if actor is not None and not can_change_template(actor, instance):
        raise PermissionDeniedError()
    with transaction.atomic():
        audit_record(action=Action.DELETE, actor=actor, instance=instance)
        instance.delete()


def template_for_language(*, user, language: str) -> EmailTemplate | None:
    """The template to offer first: the user's own before shared ones, in ``language``."""
    qs = templates_visible_to(user).filter(active=True)
    own_first = sorted(qs, key=lambda t: (t.language != language, t.owner_id != user.pk, t.name.lower(), t.pk))
    return own_first[0] if own_first else None


# Sending ------------------------------------------------------------------------------
def attachments_too_large_message() -> str:
    return _("The attachments may add up to at most %(mb)d MB.") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}


def _visible(actor, model, obj):
    if obj is None:
        return None
    pk = obj.pk if hasattr(obj, "pk") else obj
    found = visible_to(actor, model).filter(pk=pk).first() if actor is not None else model.objects.filter(pk=pk).first()
    if found is None:
        raise NotFoundError()
    return found


def _clean_cc(cc: Iterable[str]) -> list[str]:
    result: list[str] = []
    bad = []
    for value in cc or ():
        for piece in str(value).replace(";", ",").split(","):
            piece = piece.strip()
            if not piece:
                continue
            _name, addr = parseaddr(piece)
            try:
                validate_email(addr)
            except ValidationError:
                bad.append(piece)
                continue
            if addr.lower() not in {a.lower() for a in result}:
                result.append(addr)
    if bad:
        raise ValidationFailed(fields={"cc": [_("Not an e-mail address: %(value)s") % {"value": ", ".join(bad)}]})
    if len(result) > MAX_CC:
        raise ValidationFailed(fields={"cc": [_("At most %(count)d addresses in copy.") % {"count": MAX_CC}]})
    return result


def _user_display_name(user) -> str:
    return merge._user_name(user) if user is not None else ""


def _address(name: str, address: str) -> str:
    """``Name <address>`` as people read it (Django encodes a non-ASCII name when it sends)."""
    name = " ".join((name or "").split())
    if not name:
        return address
    if any(ch in name for ch in ',;:<>"@()[]\\'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def _sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL


def email_preview(*, actor, contact, subject: str, body: str, deal=None) -> tuple[str, str]:
    """The subject and body as ``contact`` would receive them."""
    contact = _visible(actor, Contact, contact)
    deal = _visible(actor, Deal, deal)
    errors = merge.merge_field_errors(subject=subject or "", body=body or "")
    if errors:
        raise ValidationFailed(fields=errors)
    context = {"contact": contact, "company": contact.company or (deal.company if deal else None), "deal": deal}
    return (
        # One line (a header), but as typed: a Chinese reader expects full-width punctuation.
        " ".join(merge.render(subject, user=actor, **context).split()),
        merge.render(body, user=actor, **context).replace("\r\n", "\n"),
    )


def email_send(
    *,
    actor,
    contact,
    subject: str,
    body: str,
    deal=None,
    template=None,
    attachments=(),
    cc=(),
) -> EmailMessage:
    """Send one e-mail to ``contact`` (merge fields rendered) through the configured mail
    backend, then log it as an e-mail activity on the contact, its company and ``deal``.

    ``attachments`` are (filename, bytes, mimetype). Nothing is logged when the mail
    server refuses the message (EmailNotSent, 502). The message is sent before the log
    is written, so no database lock is held while the mail server answers; everything
    that could refuse the log is checked before sending."""
    require_mailer(actor)
    contact = _visible(actor, Contact, contact)
    deal = _visible(actor, Deal, deal)
    if template is not None:
        template = templates_visible_to(actor).filter(pk=getattr(template, "pk", template)).first()
        if template is None:
            raise NotFoundError()
        subject = subject or template.subject
        body = body or template.body
    errors: dict[str, list[str]] = {}
    if not contact.email:
        errors["contact"] = [_("This contact has no e-mail address.")]
    if not (subject or "").strip():
        errors["subject"] = [_("This field is required.")]
    if not (body or "").strip():
        errors["body"] = [_("This field is required.")]
    errors.update(merge.merge_field_errors(subject=subject or "", body=body or ""))
    attachments = list(attachments or ())
    if sum(len(content) for _n, content, _m in attachments) > MAX_ATTACHMENT_BYTES:
        errors["attachments"] = [attachments_too_large_message()]
    if errors:
        raise ValidationFailed(fields=errors)
    cc = _clean_cc(cc)
    subject, text = email_preview(actor=actor, contact=contact, subject=subject, body=body, deal=deal)
    if len(subject) > SUBJECT_MAX:
        raise ValidationFailed(
            fields={"subject": [_("The subject is at most %(count)d characters long.") % {"count": SUBJECT_MAX}]}
        )
    sender = _address(_user_display_name(actor), _sender_address())
    to = _address(contact.name, contact.email)
    message_id = make_msgid(domain=_sender_address().rpartition("@")[2] or None)
    mail = MailMessage(
        subject=subject,
        body=text,
        from_email=sender,
        to=[to],
        cc=cc,
        reply_to=[_address(_user_display_name(actor), actor.email)] if actor is not None and actor.email else None,
        headers={"Message-ID": message_id},
    )
    for filename, content, mimetype in attachments:
        mail.attach(filename, content, mimetype or "application/octet-stream")
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError, BadHeaderError, UnicodeError) as exc:
        raise EmailNotSent() from exc
    now = timezone.now()
    with transaction.atomic():
        activity = activity_create(
            actor=actor,
            data={
                "kind": ActivityKind.EMAIL,
                "subject": subject,
                "body": text,
                "occurred_at": now,
                "contact": contact,
                "company": contact.company,
                "deal": deal,
                "owner": actor,
            },
        )
        record = EmailMessage.objects.create(
            activity=activity,
            direction=Direction.OUTGOING,
            source=EmailSource.CRM,
            from_address=sender,
            to_addresses=[to],
            cc_addresses=cc,
            message_id=message_id,
            sent_at=now,
            attachment_names=[name for name, _c, _m in attachments],
            template=template,
            logged_by=actor,
        )
        record.contacts.add(contact)
    return record


# Logging addresses --------------------------------------------------------------------
ADDRESS_LOCAL_PREFIX = "log+"


def inbound_domain() -> str:
    return (getattr(settings, "INBOUND_EMAIL_DOMAIN", "") or "").strip().lower()


def logging_address_for(token: str) -> str:
    return f"{ADDRESS_LOCAL_PREFIX}{token}@{inbound_domain()}"


def logging_address_renew(*, actor) -> tuple[LoggingAddress, str]:
    """A new private logging address for ``actor`` (the old one stops working at once).
    Returns the row and the full address, which is shown this once: only a hash is kept."""
    require_mailer(actor)
    # 20 random bytes in lower-case base32: 160 bits, and nothing a mail server folds.
    token = b32encode(secrets.token_bytes(20)).decode().lower().rstrip("=")
    now = timezone.now()
    with transaction.atomic():
        LoggingAddress.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
        row = LoggingAddress.objects.create(
            user=actor, token_hash=LoggingAddress.hash_token(token), prefix=token[:6], created_at=now
        )
        audit_record(
            action=Action.PERMISSION,
            actor=actor,
            instance=row,
            object_repr=str(row),
            extra={"logging_address": "renewed"},
        )
    return row, logging_address_for(token)


def logging_address_current(*, user) -> LoggingAddress | None:
    return LoggingAddress.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at").first()


def _token_of(address: str) -> str | None:
    local, _at, domain = address.lower().partition("@")
    if not local.startswith(ADDRESS_LOCAL_PREFIX) or not domain or domain != inbound_domain():
        return None
    return local[len(ADDRESS_LOCAL_PREFIX) :] or None


def _is_logging_address(address: str) -> bool:
    local, _at, domain = address.lower().partition("@")
    return bool(inbound_domain()) and domain == inbound_domain() and local.startswith(ADDRESS_LOCAL_PREFIX)


def user_for_logging_address(addresses: Iterable[str]):
    """The active user whose current logging address is among ``addresses``, or None."""
    if not inbound_domain():
        return None
    hashes = [LoggingAddress.hash_token(t) for t in (_token_of(a) for a in addresses) if t]
    if not hashes:
        return None
    row = (
        LoggingAddress.objects.select_related("user", "user__role")
        .filter(token_hash__in=hashes, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return row.user if row is not None else None


# Logging mail sent elsewhere ----------------------------------------------------------
MAX_MATCHED_ADDRESSES = 50


def _matching_contacts(user, addresses: list[str]) -> list[Contact]:
    """The visible contacts with one of ``addresses`` (main or other e-mail), in the
    order of the addresses. E-mails are stored lower-cased (crm.contacts.services), so
    the main address is one indexed ``IN``; only the addresses left over are looked
    for among the other e-mails, through the search text (which holds them
    lower-cased: a trigram index on PostgreSQL), and checked exactly."""
    addresses = addresses[:MAX_MATCHED_ADDRESSES]
    if not addresses:
        return []
    visible = visible_to(user, Contact).select_related("company")
    found = list(visible.filter(email__in=addresses).order_by("pk")[:200])
    rest = [a for a in addresses if a not in {c.email for c in found}]
    if rest:
        query = Q()
        for address in rest:
            query |= Q(search_text__contains=address)
        found += list(visible.filter(query).exclude(pk__in=[c.pk for c in found]).order_by("pk")[:200])
    by_address: dict[str, Contact] = {}
    for contact in found:
        for address in [contact.email, *(contact.emails or [])]:
            by_address.setdefault(str(address).strip().lower(), contact)
    result: list[Contact] = []
    for address in addresses:
        contact = by_address.get(address)
        if contact is not None and contact not in result:
            result.append(contact)
    return result


def email_log_inbound(*, raw: bytes, user=None, source: str = EmailSource.UPLOAD) -> tuple[EmailMessage, bool]:
    """Log a message sent or received outside the CRM (a raw RFC 822 message).

    ``user`` is whoever posted it; without one, the message must be addressed to a
    user's logging address (it came through the gateway) and is logged as that user.
    Returns (message, created): the same Message-ID again returns the message logged
    the first time."""
    try:
        parsed: ParsedMessage = parse_message(raw)
    except MalformedMessage:
        raise MalformedEmail() from None
    if user is None:
        user = user_for_logging_address(parsed.all_recipient_addresses())
        if user is None:
            raise UnknownLoggingAddress()
        source = EmailSource.LOGGING_ADDRESS
    require_mailer(user)
    existing = EmailMessage.objects.filter(message_id=parsed.message_id).select_related("activity").first()
    if existing is not None:
        return _already_logged(user, existing), False
    own = {(user.email or "").strip().lower()}
    candidates = []
    for address in [parsed.sender.address, *(a.address for a in parsed.to + parsed.cc + parsed.bcc)]:
        if address and address not in own and not _is_logging_address(address) and address not in candidates:
            candidates.append(address)
    contacts = _matching_contacts(user, candidates)
    if not contacts:
        raise UnprocessableError(
            _(
                "None of the addresses in this message belongs to a contact you can see (%(addresses)s). "
                "Add the contact first, or check the address."
            )
            % {"addresses": ", ".join(candidates) or "—"},
            code="no_matching_contact",
        )
    first = contacts[0]
    incoming = parsed.sender.address in {a.lower() for c in contacts for a in [c.email, *(c.emails or [])] if a}
    when = parsed.date or timezone.now()
    if when > timezone.now() + datetime.timedelta(days=1):
        when = timezone.now()  # a sender's clock far in the future would sit atop every timeline
    try:
        with transaction.atomic():
            activity = activity_create(
                actor=user,
                data={
                    "kind": ActivityKind.EMAIL,
                    "subject": parsed.subject or _("(no subject)"),
                    "body": parsed.text,
                    "occurred_at": when,
                    "contact": first,
                    "company": first.company,
                    "owner": user,
                },
            )
            record = EmailMessage.objects.create(
                activity=activity,
                direction=Direction.INCOMING if incoming else Direction.OUTGOING,
                source=source,
                from_address=parsed.sender.formatted()[:400],
                to_addresses=[a.formatted() for a in parsed.to],
                cc_addresses=[a.formatted() for a in parsed.cc],
                message_id=parsed.message_id,
                sent_at=when,
                attachment_names=parsed.attachments,
                logged_by=user,
            )
            record.contacts.add(*contacts)
    except IntegrityError:
        # Posted twice at the same moment: the other request logged it.
        existing = EmailMessage.objects.filter(message_id=parsed.message_id).select_related("activity").first()
        if existing is None:
            raise
        return _already_logged(user, existing), False
    return record, True


def _already_logged(user, existing: EmailMessage) -> EmailMessage:
    from crm.activities.models import Activity

    if not visible_to(user, Activity).filter(pk=existing.activity_id).exists():
        raise ConflictError(_("This message is already logged in the CRM by someone else."), code="already_logged")
    return existing
