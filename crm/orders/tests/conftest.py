import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English (a Chinese request leaves its language in the thread)."""
    with translation.override("en"):
        yield
