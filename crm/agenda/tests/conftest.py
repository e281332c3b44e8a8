import pytest
from django.utils import timezone, translation


@pytest.fixture(autouse=True)
def _english_in_shanghai():
    """Each test starts in English, in the company time zone, so a request in Chinese
    or in another zone does not leak into the next test."""
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        yield
