"""Input is stored in one form whatever path it came by: E.164 phones, lower-case
e-mails, half-width characters, single spaces."""

import pytest
from django.urls import reverse

from crm.contacts import services
from crm.core.errors import ValidationFailed
from crm.core.text import clean_text, phone_to_e164, to_half_width

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("(010) 6552 9988", "+861065529988"),
        ("021-5555 0000", "+862155550000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("+1 415 555 2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_formats_are_stored_in_e164(typed, stored):
    assert phone_to_e164(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "138001380001234", "call me", "+86 000 0000 0000"])
def test_invalid_phones_are_refused(typed):
    with pytest.raises(ValueError):
        phone_to_e164(typed)


def test_invalid_phone_is_a_field_error_on_every_path(users, api_for, client_for):
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(actor=users.owner, data={"name": "王芳", "phone": "12345"})
    assert "12345" in caught.value.fields["phone"][0]
    response = api_for(users.owner).post("/api/v1/contacts/", {"name": "王芳", "phone": "12345"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["phone"]
    page = client_for(users.owner).post(reverse("contacts:contact_add"), {"name": "王芳", "phone": "12345"})
    assert page.status_code == 400
    assert "not a valid phone number" in page.content.decode()


def test_full_width_and_whitespace():
    assert to_half_width("Ｚｈａｎｇ，１３８") == "Zhang,138"
    assert clean_text("  张　伟\t Ｚｈａｎｇ  Wei ") == "张 伟 Zhang Wei"


def test_contact_fields_are_normalised(users):
    contact = services.contact_create(
        actor=users.owner,
        data={
            "name": "  Ｚｈａｎｇ   Ｗｅｉ ",
            "title": "销售　总监",
            "email": " Zhang.Wei@Example.COM ",
            "phone": "138 0013 8000",
            "phones": ["010-6552 9988", "+86 138-0013-8000", "", "(010) 65529988"],
            "emails": ["ZW@Work.CN", "zhang.wei@example.com", "zw@work.cn"],
        },
    )
    contact.refresh_from_db()
    assert contact.name == "Zhang Wei"
    assert contact.title == "销售 总监"
    assert contact.email == "zhang.wei@example.com"
    assert contact.phone == "+8613800138000"
    # Duplicates and the primary value are dropped from the extra lists.
    assert contact.phones == ["+861065529988"]
    assert contact.emails == ["zw@work.cn"]


def test_invalid_extra_phone_or_email_is_refused_on_its_field(users):
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(
            actor=users.owner, data={"name": "李雷", "phones": ["13800138000", "nope"], "emails": ["a@b.cn", "bad@"]}
        )
    assert set(caught.value.fields) == {"phones", "emails"}
    assert "nope" in caught.value.fields["phones"][0]
    assert "bad@" in caught.value.fields["emails"][0]


def test_update_normalises_too(users):
    contact = services.contact_create(actor=users.owner, data={"name": "韩梅梅"})
    contact = services.contact_update(instance=contact, actor=users.owner, data={"phone": "１３９ ００１３ ９０００"})
    assert contact.phone == "+8613900139000"


def test_form_takes_one_value_per_line(users, client_for):
    response = client_for(users.owner).post(
        reverse("contacts:contact_add"),
        {"name": "赵敏", "phones": "13800138000\n010 6552 9988", "emails": "A@B.cn, c@d.cn"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = services.Contact.objects.get(name="赵敏")
    assert contact.phones == ["+8613800138000", "+861065529988"]
    assert contact.emails == ["a@b.cn", "c@d.cn"]
    edit = client_for(users.owner).get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    assert "+8613800138000\n+861065529988" in edit
    detail = client_for(users.owner).get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "+8613800138000, +861065529988" in detail
    assert "a@b.cn, c@d.cn" in detail
