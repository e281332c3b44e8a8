"""Merge fields: ``{{ contact.first_name }}`` and the like in a template's subject and body.

A small whitelist renderer, never the Django template engine: the text is the user's,
and the template engine would run tags and reach attributes of whatever it is handed.
Only the fields listed here exist; any other ``{{ … }}`` is refused when a template is
saved or a message is sent. A field without a value renders empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Any {{ … }} at all (to refuse the unknown ones); a known field is "a.b".
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
FIELD = re.compile(r"^\s*([a-z_]+)\.([a-z_]+)\s*$")

# Two-character surnames (复姓): 欧阳娜娜 is 欧阳 + 娜娜, not 欧 + 阳娜娜.
COMPOUND_SURNAMES = frozenset(
    (
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "东郭",
    )
)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def split_name(name: str) -> tuple[str, str]:
    """(first name, last name) of a contact's one name field. A Chinese name is surname
    first (王芳: first 芳, last 王); a Western one is "given … family"."""
    name = " ".join((name or "").split())
    if not name:
        return "", ""
    joined = name.replace(" ", "")
    if CJK.match(joined) and all(CJK.match(ch) or ch == "·" for ch in joined):
        if len(joined) == 1:
            return "", joined
        size = 2 if joined[:2] in COMPOUND_SURNAMES and len(joined) > 2 else 1
        return joined[size:], joined[:size]
    parts = name.split(" ")
    if len(parts) == 1:
        return name, ""
    return parts[0], " ".join(parts[1:])


def _user_name(user) -> str:
    return (getattr(user, "full_name", "") or user.get_full_name() or user.get_username()).strip()


@dataclass(frozen=True)
class MergeField:
    key: str
    label: object
    value: Callable  # (context) -> str


def _attr(obj_name: str, getter: Callable) -> Callable:
    def value(context: dict) -> str:
        obj = context.get(obj_name)
        if obj is None:
            return ""
        result = getter(obj)
        return "" if result is None else str(result)

    return value


MERGE_FIELDS: tuple[MergeField, ...] = (
    MergeField(
        "contact.first_name", gettext_lazy("Contact's first name"), _attr("contact", lambda c: split_name(c.name)[0])
    ),
    MergeField(
        "contact.last_name",
        gettext_lazy("Contact's last name (surname)"),
        _attr("contact", lambda c: split_name(c.name)[1]),
    ),
    MergeField("contact.name", gettext_lazy("Contact's full name"), _attr("contact", lambda c: c.name)),
    MergeField("contact.title", gettext_lazy("Contact's job title"), _attr("contact", lambda c: c.title)),
    MergeField("company.name", gettext_lazy("Company name"), _attr("company", lambda c: c.name)),
    MergeField("deal.name", gettext_lazy("Deal name"), _attr("deal", lambda d: d.name)),
    MergeField("user.name", gettext_lazy("Your name"), _attr("user", _user_name)),
    MergeField("user.email", gettext_lazy("Your e-mail address"), _attr("user", lambda u: u.email)),
    MergeField("user.phone", gettext_lazy("Your phone number"), _attr("user", lambda u: getattr(u, "phone", ""))),
)
FIELDS_BY_KEY = {f.key: f for f in MERGE_FIELDS}


def _key(inner: str) -> str | None:
    match = FIELD.match(inner)
    if match is None:
        return None
    key = f"{match.group(1)}.{match.group(2)}"
    return key if key in FIELDS_BY_KEY else None


def unknown_fields(text: str) -> list[str]:
    """The placeholders in ``text`` that are not merge fields, as written."""
    unknown = []
    for match in PLACEHOLDER.finditer(text or ""):
        if _key(match.group(1)) is None and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def merge_field_errors(**texts: str) -> dict[str, list[str]]:
    """Per field name, the message refusing its unknown merge fields."""
    errors = {}
    for name, text in texts.items():
        unknown = unknown_fields(text)
        if unknown:
            errors[name] = [
                _("Unknown merge field: %(fields)s. Use one of the fields listed next to the editor.")
                % {"fields": ", ".join(unknown)}
            ]
    return errors


def render(text: str, *, contact=None, company=None, deal=None, user=None) -> str:
    """``text`` with every merge field replaced by its value (empty when missing).
    Unknown placeholders are left as written; saving and sending refuse them first."""
    context = {"contact": contact, "company": company, "deal": deal, "user": user}

    def replace(match: re.Match) -> str:
        key = _key(match.group(1))
        if key is None:
            return match.group(0)
        return FIELDS_BY_KEY[key].value(context)

    return PLACEHOLDER.sub(replace, text or "")
