"""The Simplified Chinese catalog is complete, matches the source, and is what users see.

The .po file is parsed here in plain Python (strictly: a line it does not understand
fails the test), so these checks do not depend on gettext being installed.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
MESSAGES_DIR = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"
# An app may keep its strings in a catalog of its own (crm/<app>/locale/), which
# `make makemessages` fills and Django merges with the project's.
APP_PO_FILES = sorted(BASE_DIR.glob("crm/*/locale/zh_Hans/LC_MESSAGES/django.po"))
PO_FILES = [PO_FILE, *APP_PO_FILES]

# Translations that are intentionally the same as the English.
SAME_IN_CHINESE = {"CRM"}
# Shown in their own language whatever the interface language (the language switch).
OWN_LANGUAGE_NAMES = {"English"}


# The catalog ------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def describe(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt else ""
        return f"line {self.line}: {context}{self.msgid!r}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(text: str, line_no: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"line {line_no}: expected a quoted string, got {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            escape = body[i + 1 : i + 2]
            if escape not in _ESCAPES:
                raise ValueError(f"line {line_no}: unknown escape \\{escape}")
            out.append(_ESCAPES[escape])
            i += 2
        elif char == '"':
            raise ValueError(f"line {line_no}: unescaped quote")
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") first. Raises on anything unexpected."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish():
        nonlocal current, target, pending_flags
        if current is not None:
            entries.append(current)
        current, target, pending_flags = None, None, set()

    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        elif line.startswith("#,"):
            if current is not None and target is not None:
                finish()
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        elif line.startswith("#"):
            if current is not None and target is not None and target[0] == "msgstr":
                finish()
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            value = _unquote(quoted, line_no)
            if keyword in {"msgctxt", "msgid"} and current is not None and target and target[0] == "msgstr":
                finish()
            if current is None:
                current = Entry(line=line_no, flags=pending_flags, obsolete=obsolete)
                pending_flags = set()
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", None)
            else:
                slot = int(index) if index is not None else None
                if slot in current.msgstr:
                    raise ValueError(f"line {line_no}: {keyword} given twice")
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {line_no}: continuation line outside an entry")
            value = _unquote(line, line_no)
            kind, slot = target
            if kind == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        raise ValueError(f"line {line_no}: cannot parse {raw!r}")
    finish()
    return entries


def _read_catalog(path: Path) -> list[Entry]:
    assert path.exists(), f"{path} is missing"
    return parse_po(path.read_text(encoding="utf-8"))


def _translatable(entries: list[Entry]) -> list[Entry]:
    """The translatable entries: not the header, not obsolete ones."""
    return [e for e in entries if e.msgid and not e.obsolete]


@pytest.fixture(scope="module", params=PO_FILES, ids=lambda p: str(p.relative_to(BASE_DIR)))
def po_file(request) -> Path:
    return request.param


@pytest.fixture(scope="module")
def catalog(po_file) -> list[Entry]:
    return _read_catalog(po_file)


@pytest.fixture(scope="module")
def messages(catalog) -> list[Entry]:
    return _translatable(catalog)


@pytest.fixture(scope="module")
def all_messages() -> list[Entry]:
    """Every catalog's entries: what a page may show translated."""
    return [e for path in PO_FILES for e in _translatable(_read_catalog(path))]


def test_parser_reads_every_entry(po_file, catalog, messages):
    text = po_file.read_text(encoding="utf-8")
    msgid_lines = len(re.findall(r'^msgid "', text, flags=re.M))
    assert len(catalog) == msgid_lines  # the header included
    assert catalog[0].msgid == "" and catalog[0].msgctxt is None
    assert len(messages) > (300 if po_file == PO_FILE else 0)
    keys = [e.key for e in messages]
    assert len(keys) == len(set(keys)), "duplicate entries"


def test_header_is_final_and_declares_the_language(catalog):
    header = catalog[0]
    assert "fuzzy" not in header.flags
    fields = dict(
        line.split(": ", 1) for line in header.msgstr[None].splitlines() if ": " in line
    )  # "Name: value" lines
    assert fields.get("Language") == "zh_Hans"
    assert fields.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in fields.get("Content-Type", "")


def test_no_obsolete_entries(catalog):
    assert [e.describe() for e in catalog if e.obsolete] == []


def test_every_entry_is_translated_and_final(messages):
    problems = []
    for entry in messages:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.describe()} is fuzzy")
        if entry.msgid_plural is None:
            if set(entry.msgstr) != {None}:
                problems.append(f"{entry.describe()} has plural translations but no msgid_plural")
            elif not entry.msgstr[None].strip():
                problems.append(f"{entry.describe()} is untranslated")
        else:
            # Chinese has a single plural form.
            if set(entry.msgstr) != {0}:
                problems.append(f"{entry.describe()} needs exactly msgstr[0], has {sorted(entry.msgstr, key=str)}")
            elif not entry.msgstr[0].strip():
                problems.append(f"{entry.describe()} is untranslated")
    assert problems == []


def test_translations_are_not_english_copies(messages):
    copies = [
        e.describe()
        for e in messages
        if e.msgid not in SAME_IN_CHINESE and any(value == e.msgid for value in e.msgstr.values())
    ]
    assert copies == []


_NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_TEMPLATE_VAR = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
_BRACE = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")


def placeholders(text: str) -> tuple:
    text = text.replace("%%", "")
    return (
        sorted(_NAMED.findall(text)),
        _POSITIONAL.findall(text),
        sorted(_TEMPLATE_VAR.findall(text)),
        sorted(_BRACE.findall(text)),
    )


def test_placeholders(messages):
    problems = []
    for entry in messages:
        # With a single plural form, msgstr[0] is used for every count: it takes the plural's placeholders.
        expected = placeholders(entry.msgid_plural if entry.msgid_plural is not None else entry.msgid)
        for slot, text in entry.msgstr.items():
            if text and placeholders(text) != expected:
                problems.append(f"{entry.describe()} msgstr[{slot}]: {placeholders(text)} != {expected}")
        named = dict.fromkeys(expected[0], 1)
        if "python-format" in entry.flags and named and not expected[1]:
            for text in entry.msgstr.values():
                try:
                    text % named
                except (KeyError, ValueError, TypeError) as exc:
                    problems.append(f"{entry.describe()}: msgstr does not format ({exc})")
    assert problems == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_msgfmt_accepts_the_catalog(po_file):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


# The catalog against the source ------------------------------------------------------

_PYTHON_FUNCTIONS = {
    # name: (index of the context argument or None, number of message arguments)
    "_": (None, 1),
    "gettext": (None, 1),
    "gettext_lazy": (None, 1),
    "gettext_noop": (None, 1),
    "ngettext": (None, 2),
    "ngettext_lazy": (None, 2),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 2),
    "npgettext_lazy": (0, 2),
}


def _source_python_files():
    for top in ("crm", "config"):
        for path in sorted((BASE_DIR / top).rglob("*.py")):
            parts = set(path.relative_to(BASE_DIR).parts)
            if parts & {"tests", "migrations"}:
                continue
            yield path


def _python_messages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in _PYTHON_FUNCTIONS:
            continue
        context_at, count = _PYTHON_FUNCTIONS[name]
        first = 1 if context_at is not None else 0
        args = node.args[: first + count]
        if len(args) < first + count or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            continue
        context = args[0].value if context_at is not None else None
        yield (context, args[first].value), f"{path.relative_to(BASE_DIR)}:{node.lineno}"


_TEMPLATE_CALL = re.compile(r"\b(gettext|ngettext|pgettext|npgettext|_)\(")
_LITERAL = re.compile(r"""\s*(u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))\s*,?""")


def _template_messages(path: Path):
    from django.utils.translation.template import templatize

    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in _TEMPLATE_CALL.finditer(code):
        literals, pos = [], match.end()
        while literal := _LITERAL.match(code, pos):
            literals.append(ast.literal_eval(literal.group(1)))
            pos = literal.end()
        if match.group(1) in {"pgettext", "npgettext"}:
            context, message = literals[0], literals[1]
        else:
            context, message = None, literals[0]
        yield (context, message), str(path.relative_to(BASE_DIR))


def _template_files():
    for top in [BASE_DIR / "templates", *sorted(BASE_DIR.glob("crm/*/templates"))]:
        for path in sorted(top.rglob("*")):
            if path.is_file() and path.suffix in {".html", ".txt"}:
                yield path


def test_every_marked_string_is_in_the_catalog(all_messages):
    """What makemessages would add is already there (run makemessages, then translate)."""
    known = {e.key for e in all_messages}
    found = {}
    for path in _source_python_files():
        for key, where in _python_messages(path):
            found.setdefault(key, where)
    for path in _template_files():
        for key, where in _template_messages(path):
            found.setdefault(key, where)
    assert len(found) > 300
    missing = sorted(f"{where}: {key[1]!r}" for key, where in found.items() if key not in known)
    assert missing == []


def test_builtin_role_names_are_translated():
    from crm.accounts.models import Role
    from crm.accounts.roles import BUILTIN_ROLES

    assert set(BUILTIN_ROLES) == set(Role.BUILTIN_NAMES)
    for key, spec in BUILTIN_ROLES.items():
        with translation.override("en"):
            assert str(Role.BUILTIN_NAMES[key]) == spec["name"]
        with translation.override("zh-hans"):
            assert re.search(r"[\u4e00-\u9fff]", str(Role.BUILTIN_NAMES[key]))


# What users see -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_catalog():
    """The compiled catalogs, rebuilt when a .po is newer (``make messages`` does the same)."""
    for po in PO_FILES:
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        if shutil.which("msgfmt") is None:
            pytest.fail(f"{mo} is missing or older than the .po; run `make messages`")
        tmp = mo.with_suffix(".mo.tmp")
        subprocess.run(["msgfmt", "--check-format", "-o", str(tmp), str(po)], check=True)
        tmp.replace(mo)
        from django.utils.translation.reloader import translation_file_changed

        translation_file_changed(sender=None, file_path=mo)
    return MO_FILE


_CJK = re.compile(r"[\u4e00-\u9fff]")
_SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|data-confirm|data-empty)="([^"]*)"')


def shown_texts(html: str) -> set[str]:
    """The text nodes and the attribute values a user reads or hears."""
    from html import unescape

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    texts = {unescape(t).strip() for t in _SHOWN_ATTRIBUTES.findall(html)}
    texts |= {unescape(t).strip() for t in re.split(r"<[^>]*>", html)}
    return {t for t in texts if t}


def english_leftovers(html: str, messages: list[Entry]) -> list[str]:
    english = set()
    for e in messages:
        if e.msgid in SAME_IN_CHINESE | OWN_LANGUAGE_NAMES or "%" in e.msgid:
            continue
        # A lone lower-case word ("owner") is also a user name; such verbose names show capitalised.
        english.add(e.msgid[:1].upper() + e.msgid[1:] if re.fullmatch(r"[a-z]+", e.msgid) else e.msgid)
    leftovers = []
    for text in shown_texts(html):
        for piece in {text, text.rstrip(":：…").strip(), text.strip("+←→▾ ").strip()}:
            if piece in english:
                leftovers.append(piece)
    return sorted(set(leftovers))


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", ["zh-Hans", "zh-CN", "zh-Hans-CN,zh;q=0.9,en;q=0.8"])
def test_login_page_in_chinese(client, compiled_catalog, all_messages, accept_language):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "登录" in html and "密码" in html and "用户名" in html
    for english in ("Sign in", "Password", "User name", "Forgot your password?"):
        assert english not in html
    assert english_leftovers(html, all_messages) == []


@pytest.mark.django_db
def test_login_page_in_english(client, compiled_catalog, all_messages):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in html and "Password" in html
    # The check the Chinese pages pass does notice English.
    assert {"Sign in", "Password", "User name"} <= set(english_leftovers(html, all_messages))
    assert not _CJK.search(html.replace("简体中文", "").replace("中文", ""))


@pytest.mark.django_db
def test_signed_in_pages_have_no_english_left(users, client_for, compiled_catalog, all_messages):
    from django.contrib.contenttypes.models import ContentType

    from crm.contacts.models import Contact
    from crm.contacts.services import contact_create, contact_update
    from crm.core.models import CustomField

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        name="level",
        label_en="Level",
        label_zh="级别",
        field_type="choice",
        choices=["A", "B"],
    )
    contact = contact_create(actor=users.admin, data={"name": "王芳", "title": "采购经理"}, tags=["展会"])
    contact_update(instance=contact, actor=users.admin, data={"name": "王芳芳"}, custom_fields={"level": "A"})
    client = client_for(users.admin)
    client.cookies["django_language"] = "zh-hans"
    pages = [
        reverse("core:dashboard"),
        reverse("core:search") + "?q=%E7%8E%8B",
        reverse("contacts:contact_list"),
        reverse("contacts:company_list"),
        reverse("contacts:contact_detail", args=[contact.pk]),
        reverse("contacts:contact_history", args=[contact.pk]),
        reverse("contacts:contact_add"),
        reverse("contacts:contact_delete", args=[contact.pk]),
        reverse("core:recycle_bin"),
        reverse("core:job_list"),
        reverse("core:customfield_list"),
        reverse("core:customfield_add"),
        reverse("contacts:tier_settings"),
        reverse("accounts:profile"),
        reverse("accounts:password_change"),
        reverse("accounts:user_list"),
        reverse("accounts:user_add"),
        reverse("accounts:team_list"),
        reverse("accounts:role_list"),
        reverse("accounts:role_edit", args=[users.owner.role.pk]),
        reverse("audit:log"),
    ]
    problems = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _CJK.search(html), url
        leftovers = english_leftovers(html, all_messages)
        if leftovers:
            problems[url] = leftovers
    assert problems == {}
    dashboard = client.get(reverse("core:dashboard")).content.decode()
    assert "工作台" in dashboard and "联系人" in dashboard and "退出登录" in dashboard
    assert "Sign out" not in dashboard and "Dashboard" not in dashboard and "Recycle bin" not in dashboard
    history = client.get(reverse("contacts:contact_history", args=[contact.pk])).content.decode()
    assert "名称:" in history and "级别:" in history and "修改" in history


@pytest.mark.django_db
def test_a_background_job_reports_in_the_language_it_was_started_in(
    users, compiled_catalog, django_capture_on_commit_callbacks
):
    from crm.core.jobs import job_enqueue
    from crm.core.tasks import recycle_bin_purge_job

    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="recycle_bin_purge", task=recycle_bin_purge_job, user=users.admin, params={"days": 30})
    job.refresh_from_db()
    assert job.status == job.Status.SUCCEEDED
    assert job.message == "已彻底删除 0 条记录"
    with translation.override("zh-hans"):
        assert str(job.label) == "回收站清理"
    with translation.override("en"):
        assert str(job.label) == "Recycle bin clean-up"
