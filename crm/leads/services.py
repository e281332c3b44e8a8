"""Writes for leads, assignment rules and web forms. Every page, API call and import uses these."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record, diff, snapshot
from crm.core import services as core
from crm.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
    ValidationFailed,
)
from crm.core.text import build_search_text, clean_text, phone_to_e164

from .assignment import assign_owner_id
from .models import OPEN_STATUSES, AssignmentRule, Lead, LeadSource, LeadStatus, WebForm

TEXT_FIELDS = ("name", "company_name", "title", "email", "phone", "region", "campaign")
# What a web form may ask for: lead fields a visitor may fill in, nothing that decides
# who owns the lead, where it came from or how far it got.
WEB_FORM_FIELDS = ("name", "company_name", "title", "email", "phone", "region", "description")


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _normalise(data: dict, errors: dict) -> dict:
    """Half-width characters and single spaces, phones in E.164 (default region CN),
    e-mails lower-cased and checked: the same rules as companies and contacts."""
    cleaned = dict(data)
    for key in TEXT_FIELDS:
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if isinstance(cleaned.get("description"), str):
        cleaned["description"] = cleaned["description"].strip()
    phone = cleaned.get("phone")
    if phone:
        try:
            cleaned["phone"] = phone_to_e164(phone)
        except ValueError:
            _add(
                errors,
                "phone",
                _("“%(value)s” is not a valid phone number. Use a mainland number or +country code and number.")
                % {"value": phone},
            )
    email = cleaned.get("email")
    if email:
        cleaned["email"] = email.lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            _add(errors, "email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})
    return cleaned


def lead_search_text(*, name: str, company_name: str = "", title: str = "", email: str = "", phone: str = "") -> str:
    return build_search_text(names=[name, company_name, title], emails=[email], phones=[phone])


def lead_refresh_search_text(lead: Lead) -> None:
    """Written with its own UPDATE after the generic service, so it stays out of the audit log."""
    text = lead_search_text(
        name=lead.name, company_name=lead.company_name, title=lead.title, email=lead.email, phone=lead.phone
    )
    if lead.search_text != text:
        Lead.all_objects.filter(pk=lead.pk).update(search_text=text)
        lead.search_text = text


def _refuse_status_fields(data: dict, errors: dict) -> None:
    for key in ("status", "disqualify_reason"):
        if key in data:
            _add(errors, key, _("Change the status with the status action, not by editing the lead."))


def lead_create(*, actor, data: dict, custom_fields=None, tags=None) -> Lead:
    """A new lead. Without an owner in ``data`` the assignment rules choose one; when
    none matches, the creator owns it."""
    errors: dict[str, list[str]] = {}
    data = _normalise(data, errors)
    _refuse_status_fields(data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    core.require_perm(actor, Lead, "add")
    with transaction.atomic():
        if data.get("owner") is None and data.get("owner_id") is None:
            data.pop("owner", None)
            # The rules see the source the lead will get (a lead made by hand is "manual").
            owner_id = assign_owner_id(data={**data, "source": data.get("source") or LeadSource.MANUAL})
            if owner_id is not None:
                data["owner_id"] = owner_id
        lead = core.record_create(model=Lead, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        lead_refresh_search_text(lead)
    return lead


def lead_update(*, instance: Lead, actor, data: dict, expected_version=None, custom_fields=None, tags=None) -> Lead:
    errors: dict[str, list[str]] = {}
    data = _normalise(data, errors)
    _refuse_status_fields(data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        lead = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        lead_refresh_search_text(lead)
    return lead


SETTABLE_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)


def lead_set_status(*, lead: Lead, actor, status: str, reason: str = "", expected_version=None) -> Lead:
    """Move a lead between new, working, qualified and disqualified (which needs a
    reason). Converted is reached only by converting, and is final."""
    if status not in SETTABLE_STATUSES:
        raise ValidationFailed(fields={"status": [_("Choose new, working, qualified or disqualified.")]})
    if lead.status == LeadStatus.CONVERTED:
        raise UnprocessableError(_("This lead was converted; its status can no longer change."))
    reason = clean_text(reason or "") if status == LeadStatus.DISQUALIFIED else ""
    return core.record_update(
        instance=lead,
        actor=actor,
        data={"status": status, "disqualify_reason": reason},
        expected_version=expected_version,
    )


# Web forms ------------------------------------------------------------------------
def _max_length(name: str) -> int | None:
    return Lead._meta.get_field(name).max_length


def webform_clean_fields(raw) -> list[dict]:
    """The form's field list in its stored shape, refusing fields outside the allow-list."""
    if not isinstance(raw, list | tuple):
        raise ValidationFailed(fields={"fields": [_("Give a list of fields.")]})
    result: list[dict] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict) or item.get("name") not in WEB_FORM_FIELDS:
            allowed = ", ".join(WEB_FORM_FIELDS)
            raise ValidationFailed(
                fields={"fields": [_("Fields must be chosen from: %(allowed)s.") % {"allowed": allowed}]}
            )
        name = item["name"]
        if name in seen:
            continue
        seen.add(name)
        label_en = clean_text(str(item.get("label_en") or ""))[:100]
        label_zh = clean_text(str(item.get("label_zh") or ""))[:100]
        verbose = Lead._meta.get_field(name).verbose_name
        if not label_en:
            with translation.override("en"):
                label_en = str(verbose)[:1].upper() + str(verbose)[1:]
        if not label_zh:
            with translation.override("zh-hans"):
                label_zh = str(verbose)
        result.append(
            {
                "name": name,
                "label_en": label_en,
                "label_zh": label_zh,
                "required": bool(item.get("required")) or name == "name",
            }
        )
    if "name" not in seen:
        raise ValidationFailed(fields={"fields": [_("A web form must ask for the name.")]})
    return result


WEB_FORM_EDITABLE = (
    "name",
    "title_en",
    "title_zh",
    "thank_you_en",
    "thank_you_zh",
    "owner",
    "team",
    "source",
    "campaign",
    "tag",
    "active",
)


def _require_admin(actor) -> None:
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()


def _save_config(instance, actor, data: dict, before: dict | None):
    """Shared by rules and forms: validate, save, audit as a change to the configuration."""
    for key, value in data.items():
        setattr(instance, key, value)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise core._validation_failed(exc) from None
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


def webform_create(*, actor, data: dict) -> WebForm:
    _require_admin(actor)
    data = dict(data)
    data["fields"] = webform_clean_fields(data.get("fields") or [{"name": "name"}, {"name": "email"}])
    return _save_config(WebForm(), actor, data, None)


def webform_update(*, instance: WebForm, actor, data: dict) -> WebForm:
    _require_admin(actor)
    data = dict(data)
    if "fields" in data:
        data["fields"] = webform_clean_fields(data["fields"])
    with transaction.atomic():
        current = WebForm.objects.select_for_update().get(pk=instance.pk)
        return _save_config(current, actor, data, snapshot(current))


def webform_delete(*, instance: WebForm, actor) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(action=Action.DELETE, actor=actor, instance=instance)
        instance.delete()


def _submitted_values(form: WebForm, values) -> tuple[dict, dict]:
    """Only the form's own fields, as text; anything else the visitor sent is ignored."""
    data: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for spec in form.fields:
        name = spec["name"]
        raw = values.get(name, "")
        value = raw.strip() if isinstance(raw, str) else ""
        limit = _max_length(name) or 5000
        if len(value) > limit:
            _add(errors, name, _("At most %(limit)s characters.") % {"limit": limit})
        elif not value and spec.get("required"):
            _add(errors, name, _("This field is required."))
        if value:
            data[name] = value
    return data, errors


def _open_lead_with(email: str, phone: str) -> Lead | None:
    condition = Q()
    if email:
        condition |= Q(email=email)
    if phone:
        condition |= Q(phone=phone)
    if not condition:
        return None
    return (
        Lead.objects.filter(condition, status__in=OPEN_STATUSES, duplicate_of__isnull=True)
        .order_by("created_at", "pk")
        .only("pk", "owner_id")
        .first()
    )


def _contact_with(email: str, phone: str):
    """A known contact this visitor is: by e-mail, else by (primary) phone; both
    columns are indexed, so this is two index lookups at most."""
    from crm.contacts.models import Contact

    condition = Q()
    if email:
        condition |= Q(email=email)
    if phone:
        condition |= Q(phone=phone)
    if not condition:
        return None
    return Contact.objects.filter(condition).order_by("pk").only("pk").first()


# Links a web form submission takes from trusted rows (the form, the first lead, the
# contact, the assignment), not from the visitor: not looked up again by full_clean.
_TRUSTED_LINKS = ["tags", "owner", "web_form", "duplicate_of", "matched_contact", "deleted_by"]
_NOT_AUDITED = {"id", "created_at", "search_text", "submitted_ip"}


def _tag_id(name: str) -> int:
    from crm.core.models import Tag

    name = name.strip()[:60]
    tag = Tag.objects.filter(name=name).only("pk").first()
    return tag.pk if tag is not None else Tag.objects.get_or_create(name=name)[0].pk


def webform_recent_submissions(*, ip: str | None, seconds: int) -> int:
    """Leads submitted through web forms from this address in the last ``seconds``
    (one indexed count; the per-address limit compares it with its maximum)."""
    since = timezone.now() - datetime.timedelta(seconds=seconds)
    return Lead.all_objects.filter(submitted_ip=ip, created_at__gte=since).count()


def webform_submit(*, form: WebForm, values, ip: str | None = None) -> Lead:
    """A visitor's submission: a new lead owned as the form says.

    Only the form's fields are read from ``values``; owner, source, campaign, status
    and everything else come from the form. A submission repeating the e-mail or
    phone of an open lead is linked to it (``duplicate_of``, same owner); one from a
    known contact links the contact. Raises ValidationFailed with per-field messages.

    This is the one write that anyone on the internet can make, measured against a
    budget (bench/leads.py), so it does what ``record_create`` does (validate, save,
    tag, audit row with the new values, all in one transaction) in fewer round trips:
    the search text goes in with the INSERT (and stays out of the audit row), links
    come from rows just read and are not checked again, the tag is added without
    reading the new lead's tags, and custom fields stay empty (they are not on the
    form, and a required one must not make every submission fail).
    """
    if not form.active:
        raise UnprocessableError(_("This form is no longer accepting submissions."))
    data, errors = _submitted_values(form, values)
    data = _normalise(data, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    email, phone = data.get("email", ""), data.get("phone", "")
    data.update(source=form.source or LeadSource.WEB_FORM, campaign=form.campaign, web_form=form, submitted_ip=ip)
    if not data.get("name"):
        data["name"] = email or phone or _("Web form visitor")
    with transaction.atomic():
        original = _open_lead_with(email, phone)
        if original is not None:
            data["duplicate_of"] = original
            if original.owner_id:
                data["owner_id"] = original.owner_id
        contact = _contact_with(email, phone)
        if contact is not None:
            data["matched_contact"] = contact
        if original is None or not original.owner_id:
            owner_id = assign_owner_id(data=data, web_form=form)
            if owner_id is not None:
                data["owner_id"] = owner_id
        lead = Lead(**data)
        lead.search_text = lead_search_text(
            name=lead.name, company_name=lead.company_name, title=lead.title, email=lead.email, phone=lead.phone
        )
        try:
            lead.full_clean(exclude=_TRUSTED_LINKS)
        except ValidationError as exc:
            raise core._validation_failed(exc) from None
        lead.save(force_insert=True)
        changes = [
            {"field": k, "old": None, "new": v}
            for k, v in snapshot(lead).items()
            if v not in (None, "", {}, []) and k not in _NOT_AUDITED
        ]
        if form.tag:
            Lead.tags.through.objects.create(lead_id=lead.pk, tag_id=_tag_id(form.tag))
            changes.append({"field": "tags", "old": None, "new": [form.tag.strip()[:60]]})
        audit_record(action=Action.CREATE, actor=None, instance=lead, changes=changes)
    return lead


# Assignment rules -----------------------------------------------------------------
RULE_EDITABLE = ("name", "position", "active", "region", "source", "user", "team")


def assignment_rule_create(*, actor, data: dict) -> AssignmentRule:
    _require_admin(actor)
    data = {k: (clean_text(v) if isinstance(v, str) else v) for k, v in data.items()}
    return _save_config(AssignmentRule(), actor, data, None)


def assignment_rule_update(*, instance: AssignmentRule, actor, data: dict) -> AssignmentRule:
    _require_admin(actor)
    data = {k: (clean_text(v) if isinstance(v, str) else v) for k, v in data.items()}
    with transaction.atomic():
        current = AssignmentRule.objects.select_for_update().get(pk=instance.pk)
        return _save_config(current, actor, data, snapshot(current))


def assignment_rule_delete(*, instance: AssignmentRule, actor) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(action=Action.DELETE, actor=actor, instance=instance)
        instance.delete()


# Conversion -----------------------------------------------------------------------
def _company_data(lead: Lead, data: dict | None) -> dict:
    result = {"name": lead.company_name, "region": lead.region}
    result.update({k: v for k, v in (data or {}).items() if v not in (None, "")})
    return result


def _contact_data(lead: Lead, data: dict | None) -> dict:
    result = {"name": lead.name, "title": lead.title, "email": lead.email, "phone": lead.phone}
    result.update({k: v for k, v in (data or {}).items() if v not in (None, "")})
    return result


def _visible_or_refuse(actor, model, obj, field: str):
    from crm.core.visibility import visible_to

    if actor is not None and not visible_to(actor, model).filter(pk=obj.pk).exists():
        raise ValidationFailed(
            fields={field: [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    return obj


def _prefixed(exc: ValidationFailed, prefix: str) -> ValidationFailed:
    fields = {f"{prefix}.{name}": messages for name, messages in exc.fields.items()}
    return ValidationFailed(exc.message, fields=fields or {prefix: [str(exc.message)]})


def lead_convert(
    *,
    lead: Lead,
    actor,
    company: Any = None,
    contact: Any = None,
    deal_data: dict | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Turn a qualified lead into a company, a contact and a deal, all or nothing.

    ``company`` and ``contact`` are each an existing record to link (a Company or
    Contact the actor may see), a dict of values to create one from (the lead's own
    values fill what is missing), or None for none. ``deal_data`` (name, amount,
    pipeline, expected_close_date, …) creates a deal for the company with the contact
    on it; None creates no deal. The lead becomes converted and keeps a link to each.
    A failure at any step (the deal, say) leaves nothing behind.
    """
    from crm.contacts.models import Company, Contact
    from crm.contacts.services import company_create, contact_create

    core.require_perm(actor, Lead, "change")
    with transaction.atomic():
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        core.require_write(actor, current)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError()
        if current.status == LeadStatus.CONVERTED:
            raise UnprocessableError(_("This lead was already converted."))
        if current.status != LeadStatus.QUALIFIED:
            raise UnprocessableError(_("Only a qualified lead can be converted. Qualify it first."))
        owner = current.owner or actor
        if isinstance(company, Company):
            company_obj = _visible_or_refuse(actor, Company, company, "company")
        elif isinstance(company, dict):
            values = _company_data(current, company)
            if not values.get("name"):
                raise ValidationFailed(fields={"company.name": [_("This field is required.")]})
            values.setdefault("owner", owner)
            try:
                company_obj = company_create(actor=actor, data=values)
            except ValidationFailed as exc:
                raise _prefixed(exc, "company") from None
        else:
            company_obj = None
        if isinstance(contact, Contact):
            contact_obj = _visible_or_refuse(actor, Contact, contact, "contact")
        elif isinstance(contact, dict):
            values = _contact_data(current, contact)
            values.setdefault("owner", owner)
            if company_obj is not None:
                values.setdefault("company", company_obj)
            try:
                contact_obj = contact_create(actor=actor, data=values)
            except ValidationFailed as exc:
                raise _prefixed(exc, "contact") from None
        else:
            contact_obj = None
        deal_obj = None
        if deal_data is not None:
            from crm.deals.models import DealContactRole
            from crm.deals.services import deal_create

            values = {k: v for k, v in deal_data.items() if v not in (None, "")}
            values.setdefault("name", current.company_name or current.name)
            values.setdefault("owner", owner)
            values.setdefault("source", current.source)
            if company_obj is not None:
                values.setdefault("company", company_obj)
            try:
                deal_obj = deal_create(
                    actor=actor,
                    data=values,
                    contacts=[(contact_obj, DealContactRole.OTHER)] if contact_obj is not None else None,
                )
            except ValidationFailed as exc:
                raise _prefixed(exc, "deal") from None
            except NotFoundError:
                # No pipeline at all (an administrator removed every one).
                raise ValidationFailed(
                    fields={"deal.pipeline": [_("There is no pipeline to put the deal in.")]}
                ) from None
        if company_obj is None and contact_obj is None and deal_obj is None:
            raise ValidationFailed(
                fields={"__all__": [_("Choose at least a company, a contact or a deal to convert the lead into.")]}
            )
        before = snapshot(current)
        current.status = LeadStatus.CONVERTED
        current.converted_company = company_obj
        current.converted_contact = contact_obj
        current.converted_deal = deal_obj
        current.converted_at = timezone.now()
        current.version += 1
        current.save()
        # The links as people read them (names, not ids), for the lead's timeline.
        names = {
            "converted_company": company_obj,
            "converted_contact": contact_obj,
            "converted_deal": deal_obj,
        }
        changes = [
            {**change, "new": str(names[change["field"]])} if change["field"] in names else change
            for change in diff(before, snapshot(current))
        ]
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            instance=current,
            changes=changes,
            extra={
                "converted": True,
                "company_id": getattr(company_obj, "pk", None),
                "contact_id": getattr(contact_obj, "pk", None),
                "deal_id": getattr(deal_obj, "pk", None),
            },
        )
    return current


def lead_touch(*, lead_id: int, when) -> None:
    """Something was logged with the lead at ``when`` (an activity): its
    ``last_activity_at`` moves forward, never back, with no audit row and no new
    version (the activity is audited itself); "untouched for N days" reads it."""
    Lead.all_objects.filter(pk=lead_id).filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)).update(
        last_activity_at=when
    )
