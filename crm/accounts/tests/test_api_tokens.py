"""Personal API tokens: created on the profile page, shown once, stored hashed, revocable,
rate limited; unauthenticated calls get the one error shape."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from crm.accounts import services
from crm.accounts.models import ApiToken
from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import ContactFactory
from crm.core.errors import PermissionDeniedError, ValidationFailed

PROFILE = reverse("accounts:profile")
TOKENS = reverse("accounts:token_create")
CONTACTS = "/api/v1/contacts/"
ME = "/api/v1/users/me/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


def create_token_on_profile(client: Client, name: str = "Laptop script") -> str:
    response = client.post(TOKENS, {"name": name})
    assert response.status_code == 302
    assert response["Location"] == PROFILE + "#tokens"
    page = client.get(PROFILE).content.decode()
    match = re.search(r'<code id="new-token">([^<]+)</code>', page)
    assert match, "the new key is shown on the profile page"
    return match.group(1)


def test_token_created_on_profile_is_shown_once_and_works(users, client_for):
    client = client_for(users.owner)
    mine = ContactFactory(owner=users.owner)
    key = create_token_on_profile(client)
    assert key.startswith("crm_") and len(key) > 40

    # Shown once: the next view of the profile has no key, only its prefix.
    again = client.get(PROFILE).content.decode()
    assert key not in again
    assert 'id="new-token"' not in again
    assert key[:12] in again

    response = token_client(key).get(CONTACTS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get(CONTACTS).status_code == 200

    token = ApiToken.objects.get(user=users.owner)
    assert token.name == "Laptop script"
    assert token.last_used_at is not None
    entry = AuditEntry.objects.get(action="permission", object_id=str(users.owner.pk))
    assert entry.changes == [{"field": "api_token", "old": None, "new": "Laptop script"}]


def test_token_is_stored_only_hashed(users, client_for):
    client = client_for(users.owner)
    key = create_token_on_profile(client)
    token = ApiToken.objects.get(user=users.owner)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:12]
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert all(key not in value for value in stored)
    assert all(key not in str(e.changes) + str(e.extra) for e in AuditEntry.objects.all())
    # Once shown, the key is gone from the session store as well.
    assert all(key not in s.get_decoded().get("new_token_key", "") for s in Session.objects.all())


def test_token_acts_with_the_users_visibility(users):
    _token, key = services.token_create(user=users.outsider, name="cli")
    theirs = ContactFactory(owner=users.outsider)
    ContactFactory(owner=users.owner)
    ids = [row["id"] for row in token_client(key).get(CONTACTS).json()["results"]]
    assert ids == [theirs.pk]
    me = token_client(key).get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == "outsider"


def test_revoked_token_gets_401_with_the_error_shape(users, client_for):
    client = client_for(users.owner)
    key = create_token_on_profile(client)
    token = ApiToken.objects.get(user=users.owner)
    assert token_client(key).get(CONTACTS).status_code == 200

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = token_client(key).get(CONTACTS)
    assert_error_shape(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"
    assert "Revoked" in client.get(PROFILE).content.decode()
    revoked = AuditEntry.objects.filter(action="permission", object_id=str(users.owner.pk)).order_by("-id").first()
    assert revoked.changes == [{"field": "api_token", "old": "Laptop script", "new": None}]


def test_another_user_cannot_revoke_my_token(users, client_for):
    token, key = services.token_create(user=users.owner, name="mine")
    response = client_for(users.teammate).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_client(key).get(CONTACTS).status_code == 200
    with pytest.raises(PermissionDeniedError):
        services.token_revoke(user=users.teammate, token=token)


def test_token_needs_a_name(users, client_for):
    client = client_for(users.owner)
    response = client.post(TOKENS, {"name": "  "})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    with pytest.raises(ValidationFailed):
        services.token_create(user=users.owner, name="")


def test_token_create_needs_post_and_sign_in(users, client_for):
    assert client_for(users.owner).get(TOKENS).status_code == 405
    response = Client().post(TOKENS, {"name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not ApiToken.objects.exists()


def test_token_of_a_deactivated_user_stops_working(users):
    _token, key = services.token_create(user=users.owner, name="cli")
    users.owner.is_active = False
    users.owner.save()
    assert_error_shape(token_client(key).get(CONTACTS), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header",
    ["Token crm_not-a-real-key", "Token", "Token a b", "Bearer wrong"],
)
def test_bad_token_headers_get_401_with_the_error_shape(users, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error_shape(client.get(CONTACTS), 401, "authentication_failed")


@pytest.mark.parametrize("url", [CONTACTS, "/api/v1/companies/", ME, "/api/v1/users/", "/api/v1/teams/"])
def test_unauthenticated_api_requests_get_401_with_the_error_shape(db, url):
    response = APIClient().get(url)
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_unauthenticated_writes_get_401_and_change_nothing(db):
    response = APIClient().post(CONTACTS, {"name": "Spam"}, format="json")
    assert_error_shape(response, 401, "not_authenticated")


def test_session_api_write_without_csrf_token_is_refused(users):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users.owner)
    response = client.post(CONTACTS, {"name": "Forged"}, format="json")
    assert_error_shape(response, 403, "permission_denied")


# Rate limit ----------------------------------------------------------------------


def test_rate_limit_per_token_gives_429_with_retry_after(users, settings):
    settings.API_RATE_LIMIT = "3/min"
    _token, key = services.token_create(user=users.owner, name="busy")
    client = token_client(key)
    for _ in range(3):
        assert client.get(CONTACTS).status_code == 200
    response = client.get(CONTACTS)
    error = assert_error_shape(response, 429, "rate_limited")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert str(retry_after) in error["message"]

    # The limit is per token: another token of the same user is not yet limited.
    _other, other_key = services.token_create(user=users.owner, name="other")
    assert token_client(other_key).get(CONTACTS).status_code == 200


def test_rate_limit_for_a_session_is_per_user(users, api_for, settings):
    settings.API_RATE_LIMIT = "2/min"
    owner = api_for(users.owner)
    for _ in range(2):
        assert owner.get(CONTACTS).status_code == 200
    assert_error_shape(owner.get(CONTACTS), 429, "rate_limited")
    assert api_for(users.teammate).get(CONTACTS).status_code == 200


def test_rate_limit_reads_the_setting_at_request_time(users, settings):
    _token, key = services.token_create(user=users.owner, name="cli")
    settings.API_RATE_LIMIT = "1/min"
    client = token_client(key)
    assert client.get(CONTACTS).status_code == 200
    assert client.get(CONTACTS).status_code == 429
    settings.API_RATE_LIMIT = "100/min"
    assert client.get(CONTACTS).status_code == 200


# The signed-in user --------------------------------------------------------------


def test_users_me_returns_the_caller(users):
    _token, key = services.token_create(user=users.manager, name="cli")
    response = token_client(key).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == users.manager.pk
    assert body["username"] == "manager"
    assert body["role"] == "sales_manager"
    assert body["team"] == users.manager.team_id
    assert "password" not in body and "preferences" not in body


def test_users_me_with_a_session(users, api_for):
    response = api_for(users.admin).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "admin"
    assert response.json()["team"] is None


def test_user_list_exposes_no_secrets(users, api_for):
    rows = api_for(users.owner).get("/api/v1/users/", {"page_size": 500}).json()["results"]
    assert {"owner", "teammate", "outsider", "manager", "admin"} <= {r["username"] for r in rows}
    assert all(
        set(r) == {"id", "username", "full_name", "email", "team", "role", "language", "time_zone"} for r in rows
    )


def test_token_requests_speak_the_users_language(users):
    _token, key = services.token_create(user=users.owner, name="erp")
    users.owner.language = "zh-hans"
    users.owner.save()
    client = APIClient()
    response = client.get("/api/v1/contacts/987654/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] != "Not found."
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"]["message"])
