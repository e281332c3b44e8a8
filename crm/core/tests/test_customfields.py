"""Custom field values are validated per type, unknown keys refused."""

import pytest
from django.contrib.contenttypes.models import ContentType

from crm.contacts.models import Contact
from crm.core.customfields import clean_custom_values
from crm.core.errors import ValidationFailed
from crm.core.models import CustomField

pytestmark = pytest.mark.django_db

CASES = [
    ("text", "  hello ", "hello", "x" * 1001),
    ("number", "42", 42, "4.2"),
    ("number", 7, 7, True),
    ("decimal", "1234.50", "1234.50", "abc"),
    ("decimal", "3", "3", "NaN"),
    ("date", "2026-11-23", "2026-11-23", "23/11/2026"),
    ("boolean", "yes", True, "maybe"),
    ("boolean", False, False, "2"),
    ("choice", "B", "B", "Z"),
    ("multi_choice", ["A", "B"], ["A", "B"], ["A", "Z"]),
    ("multi_choice", "A, B", ["A", "B"], "A, Q"),
    ("url", "https://example.com/x", "https://example.com/x", "not a url"),
    ("email", "Li.Na@Example.COM", "li.na@example.com", "li.na@"),
]


@pytest.fixture
def define():
    ct = ContentType.objects.get_for_model(Contact)

    def make(field_type, **kwargs):
        return CustomField.objects.create(
            content_type=ct, name="f", label_en="F", field_type=field_type, choices=["A", "B"], **kwargs
        )

    return make


@pytest.mark.parametrize(("field_type", "raw", "stored", "bad"), CASES)
def test_each_type_cleans_good_values_and_refuses_bad_ones(define, field_type, raw, stored, bad):
    define(field_type)
    assert clean_custom_values(Contact, {"f": raw}) == {"f": stored}
    with pytest.raises(ValidationFailed) as exc:
        clean_custom_values(Contact, {"f": bad})
    assert list(exc.value.fields) == ["custom_fields.f"]


def test_required_fields_and_unknown_keys(define):
    define("text", required=True)
    with pytest.raises(ValidationFailed) as exc:
        clean_custom_values(Contact, {"other": 1})
    assert set(exc.value.fields) == {"custom_fields.f", "custom_fields.other"}


def test_partial_update_keeps_existing_values(define):
    define("text")
    assert clean_custom_values(Contact, {}, existing={"f": "kept"}) == {"f": "kept"}
    assert clean_custom_values(Contact, {"f": None}, existing={"f": "kept"}) == {}


def test_a_non_object_is_refused(define):
    with pytest.raises(ValidationFailed):
        clean_custom_values(Contact, ["not", "a", "dict"])
