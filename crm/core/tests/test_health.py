"""Liveness and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.test import Client


def closed_port() -> int:
    """A local port nothing listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_200_without_sign_in_or_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_get_only():
    assert Client().post("/healthz").status_code == 405


def test_readyz_is_200_with_the_database_ok(db, settings):
    settings.REDIS_URL = ""
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_503_when_redis_is_unreachable(db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error: ")
    # The reason is a class name, not a message that could leak addresses or passwords.
    assert "127.0.0.1" not in body["checks"]["redis"]


def test_readyz_is_503_when_the_database_fails(db, monkeypatch, settings):
    settings.REDIS_URL = ""

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("unable to open database file")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "error: OperationalError"}}


@pytest.mark.redis
def test_readyz_is_200_with_a_running_redis(db, settings, redis_url):
    settings.REDIS_URL = redis_url
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_health_checks_answer_any_host_and_head(client):
    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200
        head = client.head(path, HTTP_HOST="10.0.0.7")
        assert head.status_code == 200 and head.content == b""


@pytest.mark.django_db
def test_other_pages_still_check_the_host(client, settings):
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    assert client.get("/accounts/login/", HTTP_HOST="evil.example.com").status_code == 400
    assert client.get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
