from __future__ import annotations

import os

import pytest


@pytest.fixture
def redis_url() -> str:
    """TEST_REDIS_URL, checked to answer. Without it the test is skipped, except under CI=true."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("TEST_REDIS_URL is not set; Redis tests must run under CI")
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"TEST_REDIS_URL={url} does not answer: {exc}")
    return url
