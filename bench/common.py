"""What the benchmarks share: their own PostgreSQL database, percentiles, the sales
organisation of the pipeline benchmarks."""

from __future__ import annotations

import os
import statistics
import subprocess

TEAMS = [("North", "华北"), ("East", "华东"), ("South", "华南"), ("West", "西部")]
REPS_PER_TEAM = 12


def postgres_url(variable: str, default: str, *, fresh: bool) -> str:
    """The benchmark's database (from ``variable``, else ``default``), dropped and
    created empty first when ``fresh``."""
    url = os.environ.get(variable, default)
    if fresh:
        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    return url


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "runs": len(samples),
    }


def make_sales_organisation():
    """An administrator, and four regional teams of a manager and twelve reps under
    one sales department (like the demo's at its large size). Returns (admin, the
    managers, the ids of every rep and manager)."""
    from django.contrib.auth import get_user_model

    from crm.accounts.models import Role, Team
    from crm.accounts.roles import ensure_builtin_roles

    ensure_builtin_roles()
    User = get_user_model()
    roles = {r.key: r for r in Role.objects.all()}
    sales = Team.objects.create(name="Sales 销售部")
    admin = User(username="admin", full_name="Admin", role=roles["administrator"])
    admin.set_unusable_password()
    admin.save()
    managers, reps = [], []
    for name, zh in TEAMS:
        team = Team.objects.create(name=f"{name} {zh}", parent=sales)
        manager = User(
            username=f"manager_{name.lower()}", full_name=f"{zh}经理", role=roles["sales_manager"], team=team
        )
        manager.set_unusable_password()
        manager.save()
        team.manager = manager
        team.save()
        managers.append(manager)
        for i in range(REPS_PER_TEAM):
            rep = User(username=f"rep_{name.lower()}_{i}", full_name=f"{zh}销售{i}", role=roles["sales_rep"], team=team)
            rep.set_unusable_password()
            reps.append(rep)
    User.objects.bulk_create(reps)
    owners = list(User.objects.filter(role__key__in=["sales_rep", "sales_manager"]).values_list("pk", flat=True))
    return admin, managers, owners
