import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English: a request in Chinese leaves its language active in
    the thread, which would otherwise leak into the service messages of the next test."""
    with translation.override("en"):
        yield
