"""The whitelist renderer: known fields are filled in, everything else is refused or
left as written; the Django template engine never sees the user's text."""

import pytest

from crm.emails.merge import merge_field_errors, render, split_name, unknown_fields


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("王芳", "芳", "王"),
        ("欧阳娜娜", "娜娜", "欧阳"),
        ("欧阳", "阳", "欧"),
        ("诸葛 亮", "亮", "诸葛"),
        ("Alice Chen", "Alice", "Chen"),
        ("Mary Ann van Dyke", "Mary", "Ann van Dyke"),
        ("Cher", "Cher", ""),
        ("  ", "", ""),
    ],
)
def test_split_name(name, first, last):
    assert split_name(name) == (first, last)


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def get_full_name(self):
        return ""

    def get_username(self):
        return self.username


def test_render_fills_known_fields_and_leaves_missing_ones_empty():
    contact = Obj(name="王芳", title="")
    user = Obj(full_name="Rep Owner", email="rep@example.com", phone="", username="rep")
    text = "{{contact.last_name}}{{ contact.title }}您好，{{ company.name }}|{{ deal.name }}|"
    text += "{{ user.name }} {{  user.email  }}"
    assert render(text, contact=contact, user=user) == "王您好，||Rep Owner rep@example.com"


def test_user_name_falls_back_to_the_user_name():
    user = Obj(full_name="", email="", phone="", username="rep7")
    assert render("{{ user.name }}", user=user) == "rep7"


def test_unknown_fields_are_reported_and_never_run():
    text = "{{ contact.password }} {{ user.is_superuser }} {{ contact.__class__ }} {% load static %} {{contact}}"
    assert unknown_fields(text) == [
        "{{ contact.password }}",
        "{{ user.is_superuser }}",
        "{{ contact.__class__ }}",
        "{{contact}}",
    ]
    # Left as written, the tag syntax included: nothing is evaluated.
    assert render(text) == text
    errors = merge_field_errors(subject="ok {{ contact.name }}", body="{{ deal.amount }}")
    assert set(errors) == {"body"}
    assert "{{ deal.amount }}" in errors["body"][0]


def test_values_are_not_rendered_again():
    """A contact named like a merge field does not pull in another value."""
    contact = Obj(name="{{ user.email }}", title="")
    user = Obj(full_name="", email="secret@example.com", phone="", username="u")
    assert render("{{ contact.name }}", contact=contact, user=user) == "{{ user.email }}"
