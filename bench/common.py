"""What the benchmarks share: their own PostgreSQL database, percentiles, the sales
organisation of the pipeline benchmarks, and a COPY writer for loading millions of rows."""

from __future__ import annotations

import datetime
import io
import json
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


# Loading with COPY ----------------------------------------------------------------
def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class CopyWriter:
    """Rows of a model written with COPY: the columns given per row, every other
    concrete column from the field's default (so fields other apps add later still get
    a value). Secondary indexes are dropped first and built again by finish()."""

    def __init__(self, model, columns: list[str]):
        from django.db import connection

        self.model = model
        self.table = model._meta.db_table
        self.columns = columns
        fixed = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.column in columns:
                continue
            default = field.get_default() if field.has_default() else None
            if default is None and not field.null:
                default = "" if field.get_internal_type() in {"CharField", "TextField", "EmailField"} else default
            if field.get_internal_type() == "JSONField":
                fixed[field.column] = json.dumps(default if default is not None else None)
            else:
                fixed[field.column] = field.get_db_prep_save(default, connection)
        self.fixed_columns = list(fixed)
        self.fixed_text = "\t".join(_copy_text(v) for v in fixed.values())
        self.connection = connection
        self.indexes = []

    def drop_indexes(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [self.table, self.table],
            )
            self.indexes = cursor.fetchall()
            for name, _definition in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')

    def write(self, rows) -> int:
        """rows: an iterable of tuples in ``columns`` order."""
        raw = self.connection.connection
        names = ", ".join(f'"{c}"' for c in [*self.columns, *self.fixed_columns])
        n = 0
        with raw.cursor() as cursor, cursor.copy(f'COPY "{self.table}" ({names}) FROM STDIN') as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                if self.fixed_text:
                    buffer.write("\t" + self.fixed_text)
                buffer.write("\n")
                n += 1
                if n % 20000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        return n

    def finish(self) -> None:
        with self.connection.cursor() as cursor:
            for _name, definition in self.indexes:
                cursor.execute(definition)
