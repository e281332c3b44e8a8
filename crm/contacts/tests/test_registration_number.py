"""A unified social credit code must carry the right check character (GB 32100-2015)."""

import pytest
from django.urls import reverse

from crm.contacts import services
from crm.core.errors import ValidationFailed
from crm.core.text import USCC_ALPHABET, uscc_check_char, uscc_is_valid

pytestmark = pytest.mark.django_db

# Published on the national enterprise credit system as a sample code.
PUBLIC_EXAMPLE = "91350100M000100Y43"


def make_code(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def test_public_example_is_valid():
    assert uscc_is_valid(PUBLIC_EXAMPLE)
    assert uscc_check_char(PUBLIC_EXAMPLE[:17]) == "3"


@pytest.mark.parametrize(
    "first17", ["91110108MA01ABCD1", "12100000400000624", "92440300L12345678", "5144000077123456K"]
)
def test_computed_codes_are_valid_and_every_other_check_character_is_not(first17):
    code = make_code(first17)
    assert uscc_is_valid(code)
    wrong = [first17 + ch for ch in USCC_ALPHABET if ch != code[-1]]
    assert len(wrong) == 30
    assert not any(uscc_is_valid(w) for w in wrong)


def test_a_changed_character_is_caught():
    assert not uscc_is_valid("91350100M000100Y44")
    assert not uscc_is_valid("91350100M000101Y43")


def test_service_stores_a_valid_code_upper_case_and_half_width(users):
    company = services.company_create(
        actor=users.owner,
        data={"name": "福州测试有限公司", "registration_number": "９１３５０１００m０００１００y４３"},
    )
    assert company.registration_number == PUBLIC_EXAMPLE


def test_service_refuses_a_wrong_check_character_on_the_field(users):
    with pytest.raises(ValidationFailed) as caught:
        services.company_create(actor=users.owner, data={"name": "X", "registration_number": "91350100M000100Y44"})
    assert "registration_number" in caught.value.fields
    assert "check character" in caught.value.fields["registration_number"][0]


@pytest.mark.parametrize("value", ["110108012345678", "HRB 12345 (Amtsgericht München)", "91350100M000100Y4"])
def test_other_registration_numbers_are_accepted(users, value):
    company = services.company_create(actor=users.owner, data={"name": "Other Co", "registration_number": value})
    assert company.registration_number == value


def test_api_and_page_report_the_field(users, api_for, client_for):
    response = api_for(users.owner).post(
        "/api/v1/companies/", {"name": "Bad code", "registration_number": "91350100M000100Y44"}, format="json"
    )
    assert response.status_code == 400
    assert "registration_number" in response.json()["error"]["fields"]
    page = client_for(users.owner).post(
        reverse("contacts:company_add"), {"name": "Bad code", "registration_number": "91350100M000100Y44"}
    )
    assert page.status_code == 400
    assert "check character" in page.content.decode()
