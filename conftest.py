import pytest
from rest_framework.test import APIClient

from crm.core.testing.users import make_standing_users


@pytest.fixture
def users(db):
    return make_standing_users()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a Django test client signed in as that user."""

    def make(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    """api_for(user) -> a DRF API client authenticated as that user."""

    def make(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    return make


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
