"""Writes for companies and contacts. Every page, API call and import uses these."""

from __future__ import annotations

from crm.core import services as core

from .models import Company, Contact


def _normalise(data: dict) -> dict:
    cleaned = dict(data)
    for key in ("name", "title", "phone", "industry", "address", "registration_number"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = " ".join(cleaned[key].split())
    if isinstance(cleaned.get("email"), str):
        cleaned["email"] = cleaned["email"].strip().lower()
    return cleaned


def company_create(*, actor, data: dict, custom_fields=None, tags=None) -> Company:
    return core.record_create(model=Company, actor=actor, data=_normalise(data), custom_fields=custom_fields, tags=tags)


def company_update(
    *, instance: Company, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Company:
    return core.record_update(
        instance=instance,
        actor=actor,
        data=_normalise(data),
        expected_version=expected_version,
        custom_fields=custom_fields,
        tags=tags,
    )


def contact_create(*, actor, data: dict, custom_fields=None, tags=None) -> Contact:
    return core.record_create(model=Contact, actor=actor, data=_normalise(data), custom_fields=custom_fields, tags=tags)


def contact_update(
    *, instance: Contact, actor, data: dict, expected_version=None, custom_fields=None, tags=None
) -> Contact:
    return core.record_update(
        instance=instance,
        actor=actor,
        data=_normalise(data),
        expected_version=expected_version,
        custom_fields=custom_fields,
        tags=tags,
    )
