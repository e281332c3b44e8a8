"""Changing a password, and resetting a forgotten one by e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.core.testing.factories import PASSWORD

NEW_PASSWORD = "Fresh-Lotus-8842"


def can_sign_in(username: str, password: str) -> bool:
    client = Client()
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


# Change --------------------------------------------------------------------------


def test_password_change_sets_the_new_password_and_keeps_the_session(users):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        HTTP_X_REQUEST_ID="req-pw-1",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    users.owner.refresh_from_db()
    assert users.owner.check_password(NEW_PASSWORD)
    assert not users.owner.check_password(PASSWORD)
    # The session that changed the password stays signed in.
    assert client.get(reverse("accounts:profile")).status_code == 200
    entry = AuditEntry.objects.get(action="update", object_id=str(users.owner.pk))
    assert entry.changes == [{"field": "password", "old": "***", "new": "***"}]
    assert entry.actor == users.owner and entry.request_id == "req-pw-1"
    assert NEW_PASSWORD not in str(entry.changes)
    assert can_sign_in("owner", NEW_PASSWORD)
    assert not can_sign_in("owner", PASSWORD)


def test_password_change_needs_the_old_password(users, client_for):
    response = client_for(users.owner).post(
        reverse("accounts:password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    users.owner.refresh_from_db()
    assert users.owner.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="update", object_id=str(users.owner.pk)).exists()


@pytest.mark.parametrize("weak", ["12345678", "password", "short"])
def test_password_change_refuses_weak_passwords(users, client_for, weak):
    response = client_for(users.owner).post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    users.owner.refresh_from_db()
    assert users.owner.check_password(PASSWORD)


def test_password_change_needs_sign_in():
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# Reset by e-mail -----------------------------------------------------------------


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_by_email(users):
    client = Client()
    assert client.get(reverse("accounts:password_reset")).status_code == 200
    response = client.post(reverse("accounts:password_reset"), {"email": users.owner.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [users.owner.email]
    assert "\n" not in message.subject and message.subject

    link = _reset_link(message)
    response = client.get(link)
    # Django swaps the token for a session-held one and redirects to the set-password form.
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/set-password/")
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"] is True

    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, HTTP_X_REQUEST_ID="req-reset-1"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    entry = AuditEntry.objects.get(action="update", object_id=str(users.owner.pk))
    assert entry.changes == [{"field": "password", "old": "***", "new": "***"}]
    assert entry.actor == users.owner and entry.request_id == "req-reset-1"
    assert entry.extra == {"via": "reset_link"}
    assert client.get(response["Location"]).status_code == 200
    assert can_sign_in("owner", NEW_PASSWORD)
    assert not can_sign_in("owner", PASSWORD)

    # The link works once only.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(users):
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_link_with_a_forged_token_is_refused(users):
    Client().post(reverse("accounts:password_reset"), {"email": users.owner.email})
    link = _reset_link(mail.outbox[0])
    forged = re.sub(r"/[^/]+/$", "/abc-0123456789abcdef/", link)
    response = Client().get(forged)
    assert response.status_code == 200
    assert response.context["validlink"] is False
