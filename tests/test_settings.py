"""Settings come from the environment: good values start the CRM, bad ones stop it at once
with a message naming the variable, and the production settings pass `check --deploy`."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
SETUP = "import django; django.setup()"


def clean_env(tmp_path: Path, **values: str | None) -> dict[str, str]:
    """A minimal environment: none of the caller's CRM variables leak in."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "CRM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SECRET_KEY": "settings-test-" + "k" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for key, value in values.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def run_python(tmp_path: Path, code: str, **values: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(tmp_path, **values),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# The deployment check ------------------------------------------------------------

# Nothing connects to these during the checks below.
PRODUCTION_SERVICES = {
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "DATABASE_URL": "postgres://crm@db.example.com/crm",
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"REDIS_URL": None}, "REDIS_URL must be set in production"),
        ({"DATABASE_URL": "sqlite:////tmp/crm.sqlite3"}, "DATABASE_URL must point at PostgreSQL in production"),
    ],
)
def test_production_refuses_to_start_without_shared_services(tmp_path, overrides, message):
    values = {**PRODUCTION_SERVICES, **overrides}
    result = run_python(
        tmp_path, SETUP, DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="crm.example.com", **values
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_pass_check_deploy_with_no_issues(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=BASE_DIR,
        env=clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="crm.example.com",
            **PRODUCTION_SERVICES,
        ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output
    assert "WARNINGS" not in output and "?:" not in output, output


def test_production_settings_values(tmp_path):
    code = (
        SETUP + "; from django.conf import settings as s; import json; print(json.dumps({"
        "'debug': s.DEBUG, 'ssl': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
        "'hosts': s.ALLOWED_HOSTS, 'exempt': s.SECURE_REDIRECT_EXEMPT}))"
    )
    result = run_python(
        tmp_path,
        code,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        ALLOWED_HOSTS="crm.example.com, www.crm.example.com",
        DEBUG="true",
        **PRODUCTION_SERVICES,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False  # production never runs with DEBUG, whatever the environment says
    assert values["ssl"] is True and values["hsts"] >= 31536000
    assert values["session_secure"] and values["csrf_secure"]
    assert values["hosts"] == ["crm.example.com", "www.crm.example.com"]
    # Health checks from the load balancer are answered over plain HTTP.
    assert set(values["exempt"]) == {r"^healthz$", r"^readyz$"}


# Defaults ------------------------------------------------------------------------


def test_defaults_time_zone_shanghai_with_use_tz_and_currency_cny(tmp_path):
    code = (
        SETUP + "; from django.conf import settings as s; import json; print(json.dumps({"
        "'tz': s.TIME_ZONE, 'use_tz': s.USE_TZ, 'currency': s.DEFAULT_CURRENCY, 'lang': s.LANGUAGE_CODE, "
        "'celery_tz': s.CELERY_TIMEZONE, 'debug': s.DEBUG, 'rate': s.API_RATE_LIMIT, "
        "'limit': s.LOGIN_FAILURE_LIMIT, 'lock': s.LOGIN_LOCK_MINUTES, 'bin': s.RECYCLE_BIN_DAYS, "
        "'embedded': s.EMBEDDED}))"
    )
    result = run_python(tmp_path, code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "tz": "Asia/Shanghai",
        "use_tz": True,
        "currency": "CNY",
        "lang": "en",
        "celery_tz": "Asia/Shanghai",
        "debug": False,
        "rate": "600/min",
        "limit": 10,
        "lock": 15,
        "bin": 30,
        "embedded": True,
    }


def test_good_values_are_taken(tmp_path):
    code = (
        SETUP + "; from django.conf import settings as s; import json; print(json.dumps({"
        "'tz': s.TIME_ZONE, 'currency': s.DEFAULT_CURRENCY, 'lang': s.LANGUAGE_CODE, 'debug': s.DEBUG, "
        "'redis': s.REDIS_URL, 'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL, "
        "'engine': s.DATABASES['default']['ENGINE']}))"
    )
    result = run_python(
        tmp_path,
        code,
        TIME_ZONE="Europe/Berlin",
        DEFAULT_CURRENCY="eur",
        LANGUAGE_CODE="zh-hans",
        DEBUG="yes",
        REDIS_URL="redis://127.0.0.1:6399/2",
        DATABASE_URL="postgres://crm@db.example.com:5432/crm",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "tz": "Europe/Berlin",
        "currency": "EUR",
        "lang": "zh-hans",
        "debug": True,
        "redis": "redis://127.0.0.1:6399/2",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "broker": "redis://127.0.0.1:6399/2",
        "engine": "django.db.backends.postgresql",
    }


# Bad values stop the start with the variable's name --------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIME_ZONE", "Mars/Base", "TIME_ZONE='Mars/Base' is not a known time zone"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL='mysql://x' is not supported"),
        ("DEFAULT_CURRENCY", "EURO", "DEFAULT_CURRENCY='EURO' is not a three-letter"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("LANGUAGE_CODE", "fr", "LANGUAGE_CODE='fr' is not one of"),
        ("REDIS_URL", "http://x", "REDIS_URL='http://x' is not a redis:// URL"),
        ("API_RATE_LIMIT", "lots", "API_RATE_LIMIT='lots' is not a rate"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD' is not one of"),
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT='0' must be at least 1"),
        ("RECYCLE_BIN_DAYS", "thirty", "RECYCLE_BIN_DAYS='thirty' is not a whole number"),
    ],
)
def test_bad_value_stops_the_start_naming_the_variable(tmp_path, name, value, expected):
    result = run_python(tmp_path, SETUP, **{name: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert expected in last_line


def test_missing_secret_key_stops_the_start(tmp_path):
    result = run_python(tmp_path, SETUP, SECRET_KEY=None)
    assert result.returncode != 0
    assert (
        result.stderr.strip().splitlines()[-1] == "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set"
    )


def test_bad_value_also_stops_production(tmp_path):
    result = run_python(
        tmp_path,
        SETUP,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        ALLOWED_HOSTS="crm.example.com",
        SECURE_HSTS_SECONDS="a year",
        **PRODUCTION_SERVICES,
    )
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS='a year' is not a whole number" in result.stderr


def test_embedded_settings_make_and_keep_a_secret_key(tmp_path):
    code = SETUP + "; from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(tmp_path, code, DJANGO_SETTINGS_MODULE="config.settings.embedded", SECRET_KEY=None)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    second = run_python(tmp_path, code, DJANGO_SETTINGS_MODULE="config.settings.embedded", SECRET_KEY=None)
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50
    assert second.stdout.strip().splitlines()[-1] == key == key_file.read_text().strip()


# The helpers themselves ------------------------------------------------------------


def test_env_str(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_str("CRM_T", "fallback") == "fallback"
    assert env.env_str("CRM_T") == ""
    monkeypatch.setenv("CRM_T", "")
    assert env.env_str("CRM_T", "fallback") == "fallback"
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T must be set$"):
        env.env_str("CRM_T", required=True)
    monkeypatch.setenv("CRM_T", "value")
    assert env.env_str("CRM_T", "fallback", required=True) == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_values(monkeypatch, raw, expected):
    monkeypatch.setenv("CRM_T", raw)
    assert env.env_bool("CRM_T", not expected) is expected


def test_env_bool_default_and_error(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_bool("CRM_T", True) is True
    assert env.env_bool("CRM_T") is False
    monkeypatch.setenv("CRM_T", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='maybe' is not a boolean"):
        env.env_bool("CRM_T")


def test_env_int(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_int("CRM_T", 7) == 7
    monkeypatch.setenv("CRM_T", "")
    assert env.env_int("CRM_T", 7) == 7
    monkeypatch.setenv("CRM_T", "42")
    assert env.env_int("CRM_T", 7, minimum=1) == 42
    monkeypatch.setenv("CRM_T", "4.5")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='4.5' is not a whole number$"):
        env.env_int("CRM_T", 7)
    monkeypatch.setenv("CRM_T", "0")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='0' must be at least 1$"):
        env.env_int("CRM_T", 7, minimum=1)
    assert env.env_int("CRM_T", 7, minimum=0) == 0


def test_env_list(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    default = ["a"]
    result = env.env_list("CRM_T", default)
    assert result == ["a"] and result is not default
    monkeypatch.setenv("CRM_T", "  ")
    assert env.env_list("CRM_T", ["a"]) == ["a"]
    monkeypatch.setenv("CRM_T", "crm.example.com, ,www.example.com ,")
    assert env.env_list("CRM_T", []) == ["crm.example.com", "www.example.com"]


def test_env_time_zone(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_time_zone("CRM_T", "Asia/Shanghai") == "Asia/Shanghai"
    monkeypatch.setenv("CRM_T", "America/Sao_Paulo")
    assert env.env_time_zone("CRM_T", "Asia/Shanghai") == "America/Sao_Paulo"
    for bad in ("Mars/Base", "../../etc/passwd", "Asia/"):
        monkeypatch.setenv("CRM_T", bad)
        with pytest.raises(ImproperlyConfigured, match=r"^CRM_T=.* is not a known time zone$"):
            env.env_time_zone("CRM_T", "Asia/Shanghai")


def test_env_choice(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_choice("CRM_T", "b", {"a", "b"}) == "b"
    monkeypatch.setenv("CRM_T", "a")
    assert env.env_choice("CRM_T", "b", {"a", "b"}) == "a"
    monkeypatch.setenv("CRM_T", "c")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='c' is not one of: a, b$"):
        env.env_choice("CRM_T", "b", {"b", "a"})


def test_env_currency(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_currency("CRM_T", "CNY") == "CNY"
    monkeypatch.setenv("CRM_T", "usd")
    assert env.env_currency("CRM_T", "CNY") == "USD"
    for bad in ("EURO", "EU", "12€", "U$D"):
        monkeypatch.setenv("CRM_T", bad)
        with pytest.raises(ImproperlyConfigured, match="is not a three-letter ISO 4217 currency code"):
            env.env_currency("CRM_T", "CNY")


def test_env_decimal(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_decimal("CRM_T", "0.13") == Decimal("0.13")
    monkeypatch.setenv("CRM_T", "abc")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='abc' is not a number$"):
        env.env_decimal("CRM_T", "0")


def test_env_database(monkeypatch):
    monkeypatch.setenv("CRM_T", "sqlite:////srv/crm/crm.sqlite3")
    sqlite = env.env_database("CRM_T", "")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == "/srv/crm/crm.sqlite3"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"

    monkeypatch.setenv("CRM_T", "postgres://crm:secret@db.example.com:5433/crm")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "120")
    pg = env.env_database("CRM_T", "")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"]) == ("db.example.com", 5433, "crm", "crm")
    assert pg["CONN_MAX_AGE"] == 120 and pg["CONN_HEALTH_CHECKS"] is True

    monkeypatch.setenv("CRM_T", "mysql://x")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='mysql://x' is not supported"):
        env.env_database("CRM_T", "")
    monkeypatch.setenv("CRM_T", "postgres://x:notaport/db")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='postgres://x:notaport/db' is not a valid database URL"):
        env.env_database("CRM_T", "")


def test_env_rate(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_rate("CRM_T", "600/min") == "600/min"
    for good in ("5/s", "10/second", "100/hour", "1000/day", "3/m", " 60/min "):
        monkeypatch.setenv("CRM_T", good)
        assert env.env_rate("CRM_T", "600/min") == good.strip()
    for bad in ("lots", "600", "0/min", "-1/min", "10/fortnight", "ten/min", "10 / min"):
        monkeypatch.setenv("CRM_T", bad)
        with pytest.raises(ImproperlyConfigured, match=r"^CRM_T=.* is not a rate"):
            env.env_rate("CRM_T", "600/min")


def test_env_redis_url(monkeypatch):
    monkeypatch.delenv("CRM_T", raising=False)
    assert env.env_redis_url("CRM_T") == ""
    for good in ("redis://127.0.0.1:6379/0", "rediss://cache.example.com:6380/1", "unix:///run/redis.sock"):
        monkeypatch.setenv("CRM_T", good)
        assert env.env_redis_url("CRM_T") == good
    monkeypatch.setenv("CRM_T", "http://x")
    with pytest.raises(ImproperlyConfigured, match=r"^CRM_T='http://x' is not a redis:// URL$"):
        env.env_redis_url("CRM_T")
