"""Read settings from the environment, failing loudly with the variable's name.

Every setting that comes from the environment goes through one of these helpers so
a bad value stops the process at start with a message such as
``ImproperlyConfigured: TIME_ZONE='Mars/Base' is not a known time zone``.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set")
        return default if default is not None else ""
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone") from None
    return value


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {allowed}")
    return value


def env_currency(name: str, default: str) -> str:
    value = env_str(name, default).upper()
    if len(value) != 3 or not value.isalpha():
        raise ImproperlyConfigured(f"{name}={value!r} is not a three-letter ISO 4217 currency code")
    return value


def env_decimal(name: str, default: str) -> Decimal:
    raw = env_str(name, default)
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def env_database(name: str, default: str) -> dict:
    import dj_database_url

    url = env_str(name, default)
    if not url.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
        raise ImproperlyConfigured(f"{name}={url!r} is not supported: use sqlite:///path or postgres://user@host/db")
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"{name}={url!r} is not a valid database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets the web server and the worker read while one of them writes;
            # IMMEDIATE takes the write lock at BEGIN so two writers queue instead of
            # failing half-way through a transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    else:
        config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
        config["CONN_HEALTH_CHECKS"] = True
    return config


_RATE_RE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str) -> str:
    """A request rate such as ``600/min`` (per second, minute, hour or day)."""
    value = env_str(name, default).strip()
    if not _RATE_RE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 600/min (per s, min, hour or day)")
    return value


def env_redis_url(name: str) -> str:
    url = env_str(name, "")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name}={url!r} is not a redis:// URL")
    return url
