"""Writes for companies and contacts. Every page, API call and import uses these."""

from __future__ import annotations

import datetime
import decimal
import itertools

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record, diff, snapshot
from crm.core import services as core
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.text import clean_text, looks_like_uscc, phone_to_e164

from .models import Company, Contact
from .text import company_search_text, contact_search_text
from .tiers import tier_settings

TEXT_FIELDS = (
    "name",
    "title",
    "industry",
    "address",
    "region",
    "registration_number",
    "consent_source",
    "phone",
    "email",
    "website",
)
DEFAULT_CONSENT_SOURCE = "manual"
MAX_PARENT_DEPTH = 50


def _phone(value: str, field: str, errors: dict) -> str:
    try:
        return phone_to_e164(value)
    except ValueError:
        errors.setdefault(field, []).append(
            _("“%(value)s” is not a valid phone number. Use a mainland number or +country code and number.")
            % {"value": value}
        )
        return value


def _email(value: str, field: str, errors: dict) -> str:
    value = value.lower()
    try:
        validate_email(value)
    except ValidationError:
        errors.setdefault(field, []).append(_("“%(value)s” is not a valid e-mail address.") % {"value": value})
    return value


def _extra_list(value, field: str, primary: str, convert, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace(",", "\n").replace(";", "\n").splitlines()
    if not isinstance(value, list | tuple):
        errors.setdefault(field, []).append(_("Give a list of values."))
        return []
    result: list[str] = []
    for item in value:
        if not isinstance(item, str):
            errors.setdefault(field, []).append(_("Every value must be text."))
            continue
        item = clean_text(item)
        if not item:
            continue
        item = convert(item, field, errors)
        if item != primary and item not in result:
            result.append(item)
    return result


def _normalise(data: dict) -> dict:
    """The one place where input is brought into the stored form.

    Half-width characters and single spaces everywhere, phones in E.164 (default
    region CN), e-mails lower-cased and checked, a credit code upper-cased.
    """
    cleaned = dict(data)
    errors: dict[str, list[str]] = {}
    for key in TEXT_FIELDS:
        if isinstance(cleaned.get(key), str):
            cleaned[key] = clean_text(cleaned[key])
    if cleaned.get("phone"):
        cleaned["phone"] = _phone(cleaned["phone"], "phone", errors)
    if cleaned.get("email"):
        cleaned["email"] = _email(cleaned["email"], "email", errors)
    if "phones" in cleaned:
        cleaned["phones"] = _extra_list(cleaned["phones"], "phones", cleaned.get("phone") or "", _phone, errors)
    if "emails" in cleaned:
        cleaned["emails"] = _extra_list(cleaned["emails"], "emails", cleaned.get("email") or "", _email, errors)
    code = cleaned.get("registration_number")
    if isinstance(code, str) and looks_like_uscc(code.replace(" ", "").upper()):
        cleaned["registration_number"] = code.replace(" ", "").upper()
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _store_search_text(instance, text: str) -> None:
    if instance.search_text != text:
        type(instance).all_objects.filter(pk=instance.pk).update(search_text=text)
        instance.search_text = text


# Companies ------------------------------------------------------------------------
def _check_parent(instance: Company | None, data: dict) -> None:
    parent = data.get("parent")
    if parent is None or instance is None or instance.pk is None:
        return
    node, depth = parent, 0
    while node is not None and depth < MAX_PARENT_DEPTH:
        if node.pk == instance.pk:
            raise ValidationFailed(
                fields={"parent": [_("A company cannot be its own parent or the parent of its parent companies.")]}
            )
        node = Company.all_objects.filter(pk=node.parent_id).first() if node.parent_id else None
        depth += 1


def company_refresh_search_text(company: Company) -> None:
    _store_search_text(
        company,
        company_search_text(
            name=company.name,
            registration_number=company.registration_number,
            email=company.email,
            phone=company.phone,
        ),
    )


def company_create(*, actor, data: dict, custom_fields=None, tags=None) -> Company:
    data = _normalise(data)
    with transaction.atomic():
        company = core.record_create(model=Company, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        company_refresh_search_text(company)
    return company


def company_update(
    *, instance: Company, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Company:
    data = _normalise(data)
    _check_parent(instance, data)
    with transaction.atomic():
        company = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        company_refresh_search_text(company)
    return company


# Contacts -------------------------------------------------------------------------
def _apply_consent(data: dict, before: dict | None) -> dict:
    """Giving consent records the day (and a source when none is given); withdrawing
    keeps the source and records the day it was withdrawn. ``before`` is the stored
    state, None for a new contact."""
    if "marketing_consent" not in data:
        return data
    given = bool(data["marketing_consent"])
    if before is None:
        if not given:
            return data
        before = {"marketing_consent": False, "consent_date": None, "consent_source": ""}
    if given == bool(before["marketing_consent"]):
        return data
    date = data.get("consent_date")
    # A date the form merely carried over from the stored row is not a new one.
    if not isinstance(date, datetime.date) or date == before["consent_date"]:
        date = timezone.localdate()
    data["consent_date"] = date
    if given and not data.get("consent_source"):
        data["consent_source"] = before["consent_source"] or DEFAULT_CONSENT_SOURCE
    return data


def contact_refresh_search_text(contact: Contact) -> None:
    _store_search_text(
        contact,
        contact_search_text(
            name=contact.name,
            title=contact.title,
            email=contact.email,
            emails=contact.emails,
            phone=contact.phone,
            phones=contact.phones,
        ),
    )


def contact_new_data(data: dict) -> dict:
    """What ``contact_create`` stores for ``data`` before validation: the fields
    normalised (half-width, E.164 phones, lower-cased e-mails) and the consent dates
    set. The import's bulk path applies the same rules through this function."""
    return _apply_consent(_normalise(data), None)


def contact_create(*, actor, data: dict, custom_fields=None, tags=None) -> Contact:
    data = contact_new_data(data)
    with transaction.atomic():
        contact = core.record_create(model=Contact, actor=actor, data=data, custom_fields=custom_fields, tags=tags)
        contact_refresh_search_text(contact)
    return contact


CONSENT_FIELDS = ("marketing_consent", "consent_date", "consent_source")


def contact_update_data(data: dict, stored: dict | None) -> dict:
    """What ``contact_update`` stores for ``data``: the fields normalised, and the consent
    rule applied against ``stored``, the stored row's CONSENT_FIELDS (needed only when
    ``data`` has marketing_consent). The import's bulk path applies the same rules."""
    data = _normalise(data)
    if "marketing_consent" in data:
        data = _apply_consent(data, stored)
    return data


def contact_update(
    *, instance: Contact, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Contact:
    # The stored row, not the caller's copy: a bound form has already changed it.
    stored = (
        Contact.all_objects.filter(pk=instance.pk).values(*CONSENT_FIELDS).first()
        if "marketing_consent" in data
        else None
    )
    data = contact_update_data(data, stored)
    with transaction.atomic():
        contact = core.record_update(
            instance=instance,
            actor=actor,
            data=data,
            expected_version=expected_version,
            custom_fields=custom_fields,
            tags=tags,
        )
        contact_refresh_search_text(contact)
    return contact


# Value tiers ------------------------------------------------------------------------


def _ascending_numbers(value, field: str, errors: dict, *, kind):
    """Four numbers, each at least 0 and larger than the one before."""
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple) or len(value) != 4:
        errors.setdefault(field, []).append(_("Give exactly four numbers, smallest first."))
        return value
    numbers = []
    for item in value:
        try:
            number = kind(str(item).strip().replace(" ", ""))
        except (ValueError, ArithmeticError):
            errors.setdefault(field, []).append(_("“%(value)s” is not a number.") % {"value": item})
            return value
        if number < 0:
            errors.setdefault(field, []).append(_("Numbers cannot be negative."))
            return value
        numbers.append(number)
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        errors.setdefault(field, []).append(_("Each number must be larger than the one before."))
    return numbers


def tier_settings_update(*, actor, data: dict):
    """Change the thresholds of the value tiers (administrators only), audited."""
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()
    settings = tier_settings()
    before = snapshot(settings)
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if "window_days" in data:
        try:
            clean["window_days"] = int(data["window_days"])
            if not 1 <= clean["window_days"] <= 3650:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("window_days", []).append(_("Give a number of days from 1 to 3650."))
    if "recency_days" in data:
        clean["recency_days"] = _ascending_numbers(data["recency_days"], "recency_days", errors, kind=int)
    if "frequency_counts" in data:
        clean["frequency_counts"] = _ascending_numbers(data["frequency_counts"], "frequency_counts", errors, kind=int)
    if "monetary_amounts" in data:
        amounts = _ascending_numbers(data["monetary_amounts"], "monetary_amounts", errors, kind=decimal.Decimal)
        clean["monetary_amounts"] = [str(a) for a in amounts] if "monetary_amounts" not in errors else amounts
    for name in ("tier_a_min", "tier_b_min", "tier_c_min"):
        if name in data:
            try:
                clean[name] = int(data[name])
                if not 3 <= clean[name] <= 15:
                    raise ValueError
            except (TypeError, ValueError):
                errors.setdefault(name, []).append(_("Give a score from 3 to 15."))
    if errors:
        raise ValidationFailed(fields=errors)
    a = clean.get("tier_a_min", settings.tier_a_min)
    b = clean.get("tier_b_min", settings.tier_b_min)
    c = clean.get("tier_c_min", settings.tier_c_min)
    if not a > b > c:
        raise ValidationFailed(fields={"tier_b_min": [_("The scores must fall from A to B to C.")]})
    with transaction.atomic():
        for name, value in clean.items():
            setattr(settings, name, value)
        settings.save()
        changes = diff(before, snapshot(settings))
        if changes:
            audit_record(action=Action.UPDATE, actor=actor, instance=settings, changes=changes)
    return settings


# Activity facts ---------------------------------------------------------------------


def customers_touch(*, company_id: int | None = None, contact_id: int | None = None, when) -> None:
    """Something happened with these customers at ``when`` (an activity was logged):
    their ``last_activity_at`` moves forward, never back. No audit row and no version
    change: it is a fact derived from the activity, which is audited itself."""
    from django.db.models import Q

    for model, pk in ((Company, company_id), (Contact, contact_id)):
        if pk:
            model.all_objects.filter(pk=pk).filter(
                Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
            ).update(last_activity_at=when)
