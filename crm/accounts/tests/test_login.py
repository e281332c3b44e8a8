"""Signing in and out through /accounts/login/: audit rows, lock after repeated failures."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.accounts.models import LoginAttempt
from crm.audit.models import AuditEntry
from crm.core.testing.factories import PASSWORD

LOGIN = reverse("accounts:login")
LOCK_TEXT = "Too many failed sign-in attempts"


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def lock_settings(settings):
    settings.LOGIN_FAILURE_LIMIT = 10
    settings.LOGIN_LOCK_MINUTES = 15
    return settings


# Audit ---------------------------------------------------------------------------


def test_login_writes_an_audit_row_with_ip_and_request_id(users):
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = sign_in(client, "owner", PASSWORD, HTTP_X_REQUEST_ID="req-login-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert is_signed_in(client)
    entry = AuditEntry.objects.get(action="login")
    assert entry.actor == users.owner
    assert entry.actor_name == "owner"
    assert entry.ip == "203.0.113.7"
    assert entry.request_id == "req-login-1"
    assert response["X-Request-ID"] == "req-login-1"
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.ip, attempt.succeeded) == ("owner", "203.0.113.7", True)


def test_request_id_is_generated_when_none_is_sent(users):
    client = Client(REMOTE_ADDR="203.0.113.8")
    response = sign_in(client, "owner", PASSWORD)
    entry = AuditEntry.objects.get(action="login")
    assert len(entry.request_id) == 32
    assert response["X-Request-ID"] == entry.request_id


def test_malformed_request_id_is_replaced(users):
    client = Client()
    response = sign_in(client, "owner", PASSWORD, HTTP_X_REQUEST_ID="bad id; drop table")
    entry = AuditEntry.objects.get(action="login")
    assert entry.request_id != "bad id; drop table"
    assert response["X-Request-ID"] == entry.request_id


def test_failed_login_writes_an_audit_row_and_signs_nobody_in(users):
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = sign_in(client, "owner", "wrong-password", HTTP_X_REQUEST_ID="req-fail-1")
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert "Please enter a correct" in response.content.decode()
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor == users.owner
    assert entry.actor_name == "owner"
    assert entry.ip == "198.51.100.4"
    assert entry.request_id == "req-fail-1"
    assert not AuditEntry.objects.filter(action="login").exists()
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.ip, attempt.succeeded) == ("owner", "198.51.100.4", False)


def test_failed_login_for_an_unknown_name_is_recorded_without_a_user(users):
    client = Client(REMOTE_ADDR="198.51.100.5")
    sign_in(client, "nobody-here", "whatever")
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor is None
    assert entry.actor_name == "nobody-here"
    assert entry.object_repr == "nobody-here"
    assert entry.ip == "198.51.100.5"


def test_logout_writes_an_audit_row(users):
    client = Client(REMOTE_ADDR="203.0.113.9")
    sign_in(client, "teammate", PASSWORD)
    response = client.post(reverse("accounts:logout"), HTTP_X_REQUEST_ID="req-logout-1")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not is_signed_in(client)
    entry = AuditEntry.objects.get(action="logout")
    assert entry.actor == users.teammate
    assert entry.ip == "203.0.113.9"
    assert entry.request_id == "req-logout-1"


def test_logout_needs_post(users):
    client = Client()
    sign_in(client, "teammate", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert is_signed_in(client)


def test_forwarded_for_is_used_only_when_trusted(users, settings):
    settings.TRUST_X_FORWARDED_FOR = False
    sign_in(Client(REMOTE_ADDR="10.0.0.1"), "owner", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.50")
    settings.TRUST_X_FORWARDED_FOR = True
    sign_in(Client(REMOTE_ADDR="10.0.0.1"), "owner", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.51, 10.0.0.1")
    ips = list(AuditEntry.objects.filter(action="login").order_by("id").values_list("ip", flat=True))
    assert ips == ["10.0.0.1", "192.0.2.51"]


def test_signed_in_user_visiting_login_is_sent_on(users, client_for):
    response = client_for(users.owner).get(LOGIN)
    assert response.status_code == 302


def test_login_keeps_a_safe_next_and_drops_a_foreign_one(users):
    target = reverse("accounts:profile")
    response = Client().post(LOGIN + f"?next={target}", {"username": "owner", "password": PASSWORD, "next": target})
    assert response["Location"] == target
    response = Client().post(LOGIN, {"username": "owner", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:dashboard")


def test_inactive_user_cannot_sign_in(users):
    users.teammate.is_active = False
    users.teammate.save()
    client = Client()
    response = sign_in(client, "teammate", PASSWORD)
    assert response.status_code == 200
    assert not is_signed_in(client)


# Lock after repeated failures ----------------------------------------------------


def test_ten_failures_lock_the_user_name_even_with_the_right_password(users, lock_settings):
    for i in range(10):
        # Each from a different address: the lock is per user name, not only per IP.
        response = sign_in(Client(REMOTE_ADDR=f"198.51.100.{i + 10}"), "owner", f"wrong-{i}")
        assert response.status_code == 200
        assert LOCK_TEXT not in response.content.decode(), f"locked too early at attempt {i + 1}"
    client = Client(REMOTE_ADDR="203.0.113.200")
    response = sign_in(client, "owner", PASSWORD)
    html = response.content.decode()
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert LOCK_TEXT in html
    assert "15 minutes" in html
    # The user name is matched without regard to case.
    response = sign_in(Client(REMOTE_ADDR="203.0.113.201"), "OWNER", PASSWORD)
    assert LOCK_TEXT in response.content.decode()
    # Other users are not affected.
    other = Client(REMOTE_ADDR="203.0.113.202")
    assert sign_in(other, "teammate", PASSWORD).status_code == 302
    assert is_signed_in(other)
    # A locked attempt does not count as another failure nor sign in.
    assert LoginAttempt.objects.filter(username__iexact="owner", succeeded=False).count() == 10
    assert not AuditEntry.objects.filter(action="login", actor=users.owner).exists()


def test_nine_failures_do_not_lock(users, lock_settings):
    for i in range(9):
        sign_in(Client(), "owner", f"wrong-{i}")
    client = Client()
    assert sign_in(client, "owner", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_ten_failures_from_one_ip_lock_that_ip_for_every_user_name(users, lock_settings):
    for i in range(10):
        sign_in(Client(REMOTE_ADDR="192.0.2.99"), f"guess{i}", "wrong")
    locked = Client(REMOTE_ADDR="192.0.2.99")
    response = sign_in(locked, "teammate", PASSWORD)
    assert LOCK_TEXT in response.content.decode()
    assert not is_signed_in(locked)
    elsewhere = Client(REMOTE_ADDR="192.0.2.100")
    assert sign_in(elsewhere, "teammate", PASSWORD).status_code == 302
    assert is_signed_in(elsewhere)


def test_limit_and_lock_length_come_from_settings(users, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCK_MINUTES = 7
    for i in range(3):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "owner", "wrong")
    response = sign_in(Client(REMOTE_ADDR="198.51.100.50"), "owner", PASSWORD)
    html = response.content.decode()
    assert LOCK_TEXT in html and "7 minutes" in html


def _old_failures(username: str, ip: str | None, minutes_ago: int, count: int = 10) -> None:
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    LoginAttempt.objects.bulk_create(
        [LoginAttempt(username=username, ip=ip, succeeded=False, created_at=at) for _ in range(count)]
    )


def test_failures_older_than_the_lock_window_do_not_count(users, lock_settings):
    _old_failures("owner", "192.0.2.10", minutes_ago=16)
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(client, "owner", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_failures_inside_the_lock_window_do_count(users, lock_settings):
    _old_failures("owner", None, minutes_ago=14)
    response = sign_in(Client(), "owner", PASSWORD)
    assert LOCK_TEXT in response.content.decode()


def test_the_lock_expires_after_the_lock_minutes(users, lock_settings, monkeypatch):
    for i in range(10):
        sign_in(Client(REMOTE_ADDR="192.0.2.20"), "owner", f"wrong-{i}")
    assert LOCK_TEXT in sign_in(Client(REMOTE_ADDR="192.0.2.21"), "owner", PASSWORD).content.decode()

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + datetime.timedelta(minutes=14))
    still = Client(REMOTE_ADDR="192.0.2.22")
    assert LOCK_TEXT in sign_in(still, "owner", PASSWORD).content.decode()
    assert not is_signed_in(still)

    monkeypatch.setattr(timezone, "now", lambda: real_now() + datetime.timedelta(minutes=16))
    later = Client(REMOTE_ADDR="192.0.2.20")
    response = sign_in(later, "owner", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(later)


def test_a_successful_sign_in_clears_earlier_failures(users, lock_settings):
    for i in range(9):
        sign_in(Client(), "owner", f"wrong-{i}")
    assert sign_in(Client(), "owner", PASSWORD).status_code == 302
    # More failures for the name after the success, from other addresses (the per-IP
    # count is not cleared by anyone's success).
    for i in range(9):
        sign_in(Client(), "owner", f"again-{i}", REMOTE_ADDR=f"10.0.0.{i + 1}")
    client = Client()
    assert sign_in(client, "owner", PASSWORD, REMOTE_ADDR="10.0.1.1").status_code == 302
    assert is_signed_in(client)
