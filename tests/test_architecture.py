"""Import rules that keep the apps apart (see docs/architecture.md).

- crm.core is shared machinery: it may use the platform apps (accounts, audit) but no
  domain app.
- Platform apps do not import domain apps.
- A domain app may use another domain app's services, selectors and models only,
  never its views, forms, tables, filtersets or API.
- crm.demo fills the database and may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / "crm"
PLATFORM = {"core", "accounts", "audit", "notifications"}
ANYTHING_GOES = {"demo"}
PUBLIC_MODULES = {"services", "selectors", "models"}


def apps(crm: Path) -> list[str]:
    return sorted(p.name for p in crm.iterdir() if (p / "apps.py").exists())


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [name for name in found if name.startswith("crm.")]


def violations(crm: Path = CRM) -> list[str]:
    domain = set(apps(crm)) - PLATFORM - ANYTHING_GOES
    problems = []
    for app in apps(crm):
        if app in ANYTHING_GOES:
            continue
        for path in sorted((crm / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for name in imports_of(path):
                parts = name.split(".")
                other = parts[1]
                if other == app:
                    continue
                private = len(parts) > 2 and parts[2] not in PUBLIC_MODULES
                if (
                    other in ANYTHING_GOES
                    or (app in PLATFORM and other in domain)
                    or (app in domain and other in domain and private)
                ):
                    problems.append(f"{path.relative_to(crm.parent)} imports {name}")
    return problems


def test_apps_respect_the_import_rules():
    assert violations() == []


def test_the_rule_checker_catches_violations(tmp_path):
    bodies = {
        "core": "from crm.contacts.models import Contact\n",
        "contacts": "from crm.deals.views import board\nfrom crm.deals.services import deal_create\n",
        "deals": "",
        "audit": "",
        "accounts": "",
    }
    for app, body in bodies.items():
        (tmp_path / "crm" / app).mkdir(parents=True)
        (tmp_path / "crm" / app / "apps.py").write_text("")
        (tmp_path / "crm" / app / "thing.py").write_text(body)
    assert violations(tmp_path / "crm") == [
        "crm/contacts/thing.py imports crm.deals.views",
        "crm/contacts/thing.py imports crm.deals.views.board",
        "crm/core/thing.py imports crm.contacts.models",
        "crm/core/thing.py imports crm.contacts.models.Contact",
    ]


def test_visibility_is_decided_in_one_place():
    """No module outside visibility.py filters by scope on its own."""
    offenders = []
    for path in CRM.rglob("*.py"):
        if path.name == "visibility.py" or "tests" in path.parts or "testing" in path.parts:
            continue
        text = path.read_text()
        if "team_subtree_ids(" in text and path.name != "selectors.py" and "accounts" not in path.parts:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
