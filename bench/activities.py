"""Benchmark: activities at 5,000,000 rows on PostgreSQL: a company's 360 page with
1,000 timeline entries, My day for a rep, My day for a manager of 55 reps.

    .venv/bin/python bench/activities.py                     # 5,000,000 activities (reuses a loaded DB)
    .venv/bin/python bench/activities.py --fresh             # drop and load again
    .venv/bin/python bench/activities.py --activities 500000 --fresh   # a quicker run

The database is its own (``BENCH_ACTIVITIES_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_activities), and so is the var directory.
People: one sales department with a big team (a manager and 55 reps) and two teams
of 12 reps elsewhere, plus an administrator. Data is written with COPY (psycopg), the
tables' secondary indexes dropped during the load and built again afterwards (the same
definitions, read from pg_indexes), then VACUUM ANALYZE:

- 100,000 companies, 30,000 leads (a third of them untouched for weeks), 20,000 open
  deals (some with a missed next step), owned round-robin by the 80 sales people;
- ``--activities`` activities (default 5,000,000) over those companies: calls, e-mails,
  notes, meetings (past, and the next two months) and tasks (past ones almost all done,
  the next two months open), ``occurred_at`` over three years; one company ("Timeline
  360 基准公司") has exactly 1,000 of them.

Timed through Django's test client in-process (server time, no network), p50/p95 of
--repeat runs after two warm-ups: the company's 360 page, My day as a rep, My day as
the manager in "my team" mode (56 people), and the My day API. A second pass runs with
``--with-index`` indexes created by hand in the bench database (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import CopyWriter, percentiles, postgres_url  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_activities"
BUDGETS = {"company 360": 100, "my day (rep)": 100, "my day (manager, team)": 300}
BIG_TEAM_REPS = 55
TIMELINE_COMPANY = "Timeline 360 基准公司"
# Indexes for My day, created by hand here when --with-index is given (not in the
# activities app's migrations: that app is not this benchmark's to change).
HAND_INDEXES = {
    "agenda_open_task_idx": (
        "CREATE INDEX IF NOT EXISTS agenda_open_task_idx ON activities_activity (owner_id, due_at) "
        "WHERE kind = 'task' AND NOT done AND deleted_at IS NULL"
    ),
    "agenda_meeting_idx": (
        "CREATE INDEX IF NOT EXISTS agenda_meeting_idx ON activities_activity (owner_id, occurred_at) "
        "WHERE kind = 'meeting' AND deleted_at IS NULL"
    ),
}


def database_url(*, fresh: bool) -> str:
    return postgres_url("BENCH_ACTIVITIES_URL", DEFAULT_URL, fresh=fresh)


def timed(request, repeat: int) -> dict:
    samples = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        response = request()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}")
        if i >= 2:
            samples.append(elapsed)
    return percentiles(samples)


# Loading ------------------------------------------------------------------------------
def make_people():
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
    big = Team.objects.create(name="Big team 大团队", parent=sales)
    manager = User(username="manager_big", full_name="大团队经理", role=roles["sales_manager"], team=big)
    manager.set_unusable_password()
    manager.save()
    big.manager = manager
    big.save()
    people = []
    for i in range(BIG_TEAM_REPS):
        people.append(User(username=f"rep_big_{i}", full_name=f"销售{i}", role=roles["sales_rep"], team=big))
    for name in ("North", "South"):
        team = Team.objects.create(name=f"{name} team", parent=sales)
        for i in range(12):
            people.append(
                User(username=f"rep_{name.lower()}_{i}", full_name=f"{name} {i}", role=roles["sales_rep"], team=team)
            )
    for person in people:
        person.set_unusable_password()
    User.objects.bulk_create(people)
    return list(
        User.objects.filter(role__key__in=["sales_rep", "sales_manager"]).order_by("pk").values_list("pk", flat=True)
    )


def load(total: int, progress) -> dict:
    from django.utils import timezone

    from crm.activities.models import Activity
    from crm.contacts.models import Company
    from crm.deals.models import Deal, Pipeline, StageKind
    from crm.leads.models import Lead

    rng = random.Random(2026)
    owners = make_people()
    now = timezone.now()
    timings = {}

    start = time.perf_counter()
    companies = CopyWriter(Company, ["name", "owner_id", "search_text", "created_at", "updated_at"])
    companies.drop_indexes()
    n_companies = 100_000

    def company_rows():
        yield (TIMELINE_COMPANY, owners[1], "timeline 360", now, now)
        for i in range(1, n_companies):
            name = f"基准公司 Bench company {i}"
            yield (name, owners[i % len(owners)], name.lower(), now, now)

    companies.write(company_rows())
    companies.finish()
    company_ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    timeline_company = company_ids[0]
    timings["companies_s"] = round(time.perf_counter() - start, 1)

    start = time.perf_counter()
    leads = CopyWriter(
        Lead,
        ["name", "company_name", "owner_id", "status", "search_text", "created_at", "updated_at", "last_activity_at"],
    )
    leads.drop_indexes()

    def lead_rows():
        for i in range(30_000):
            created = now - datetime.timedelta(days=rng.randint(0, 400))
            if rng.random() < 0.33:  # quiet: nothing logged, or nothing for weeks
                last = None if rng.random() < 0.5 else now - datetime.timedelta(days=rng.randint(10, 60))
            else:
                last = now - datetime.timedelta(days=rng.randint(0, 6))
            status = rng.choice(["new", "working", "qualified", "working", "converted", "disqualified"])
            yield (
                f"线索 Lead {i}",
                f"线索公司 {i}",
                owners[i % len(owners)],
                status,
                f"lead {i}",
                created,
                created,
                last,
            )

    leads.write(lead_rows())
    leads.finish()
    timings["leads_s"] = round(time.perf_counter() - start, 1)

    start = time.perf_counter()
    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").first()
    deals = CopyWriter(
        Deal,
        [
            "name",
            "owner_id",
            "pipeline_id",
            "stage_id",
            "status",
            "amount",
            "currency",
            "company_id",
            "next_step",
            "next_step_date",
            "search_text",
            "created_at",
            "updated_at",
            "stage_changed_at",
        ],
    )
    deals.drop_indexes()
    today = timezone.localdate()

    def deal_rows():
        for i in range(20_000):
            step_date = today + datetime.timedelta(days=rng.randint(-30, 60))
            yield (
                f"商机 Deal {i}",
                owners[i % len(owners)],
                pipeline.pk,
                stage.pk,
                "open",
                10000 + i,
                "CNY",
                company_ids[rng.randrange(len(company_ids))],
                "跟进报价 Follow up",
                step_date,
                f"deal {i}",
                now,
                now,
                now,
            )

    deals.write(deal_rows())
    deals.finish()
    timings["deals_s"] = round(time.perf_counter() - start, 1)

    start = time.perf_counter()
    columns = [
        "kind",
        "subject",
        "body",
        "occurred_at",
        "due_at",
        "done",
        "done_at",
        "priority",
        "end_at",
        "owner_id",
        "company_id",
        "created_at",
        "updated_at",
    ]
    activities = CopyWriter(Activity, columns)
    activities.drop_indexes()
    three_years = 3 * 365 * 86400
    kinds = ["call"] * 40 + ["email"] * 10 + ["note"] * 20 + ["meeting"] * 15 + ["task"] * 15
    timeline_left = 1000

    def activity_rows():
        nonlocal timeline_left
        for i in range(total):
            kind = kinds[rng.randrange(100)]
            owner = owners[rng.randrange(len(owners))]
            company = company_ids[rng.randrange(1, len(company_ids))]
            if timeline_left and i % (total // 1000 or 1) == 0:
                company = timeline_company
                timeline_left -= 1
            # Mostly the past; meetings and tasks also in the next two months.
            future = kind in ("meeting", "task") and rng.random() < 0.04
            when = (
                now + datetime.timedelta(seconds=rng.randrange(60 * 86400))
                if future
                else now - datetime.timedelta(seconds=rng.randrange(three_years))
            )
            due = end = done_at = None
            done = False
            if kind == "task":
                due = when
                done = when < now and rng.random() < 0.995
                done_at = when if done else None
            elif kind == "meeting":
                end = when + datetime.timedelta(minutes=60)
            yield (kind, f"{kind} 活动 {i}", "", when, due, done, done_at, "normal", end, owner, company, when, when)
            if i and i % 100_000 == 0:
                progress("activities", i, total)

    activities.write(activity_rows())
    progress("activities", total, total)
    print()
    start_idx = time.perf_counter()
    activities.finish()
    timings["activities_copy_s"] = round(start_idx - start, 1)
    timings["activities_indexes_s"] = round(time.perf_counter() - start_idx, 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="Drop the database and load again.")
    parser.add_argument("--with-index", action="store_true", help="Also time with the hand-made My day indexes.")
    parser.add_argument("--plain-repeat", type=int, default=None, help="Runs without those indexes (default --repeat).")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(fresh=args.fresh)
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_activities")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from crm.accounts.models import User
    from crm.activities.models import Activity
    from crm.contacts.models import Company
    from crm.core.services import database_optimize

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    timings = {}
    if not Company.objects.filter(name=TIMELINE_COMPANY).exists():
        start = time.perf_counter()

        def progress(what, done, total):
            print(f"\r{what}: {done:,}/{total:,}", end="", flush=True)

        timings = load(args.activities, progress)
        timings["total_load_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        database_optimize()
        timings["vacuum_analyze_s"] = round(time.perf_counter() - start, 1)

    company = Company.objects.get(name=TIMELINE_COMPANY)
    rep = User.objects.get(username="rep_big_0")
    manager = User.objects.get(username="manager_big")
    pages = [
        ("company 360", manager, company.get_absolute_url()),
        ("my day (rep)", rep, "/my-day/"),
        ("my day (manager, me)", manager, "/my-day/"),
        ("my day (manager, team)", manager, "/my-day/?team=1"),
        ("my day API (manager, team)", manager, "/api/v1/my-day/?team=1"),
        ("calendar week (rep)", rep, "/calendar/"),
        ("calendar month (manager, team)", manager, "/calendar/?view=month&team=1"),
    ]

    def measure(tag: str, repeat: int) -> dict:
        found = {}
        for label, user, url in pages:
            client = Client()
            client.force_login(user)
            found[f"{label}{tag}"] = timed(lambda client=client, url=url: client.get(url), repeat)
        return found

    results = {"load": timings, "pages": {}, "load_average_before": os.getloadavg()}
    with connection.cursor() as cursor:
        for name in HAND_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    results["pages"].update(measure("", args.plain_repeat or args.repeat))
    if args.with_index:
        with connection.cursor() as cursor:
            for definition in HAND_INDEXES.values():
                cursor.execute(definition)
            cursor.execute("ANALYZE activities_activity")
        results["pages"].update(measure(" + hand-made index", args.repeat))
    results["counts"] = {
        "activities": Activity.all_objects.count() if hasattr(Activity, "all_objects") else Activity.objects.count(),
        "timeline_company_activities": Activity.objects.filter(company=company).count(),
        "manager_team": len(User.objects.filter(team=manager.team)),
        "rep_activities": Activity.objects.filter(owner=rep).count(),
    }
    results["load_average_after"] = os.getloadavg()
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"activities-postgres-{args.activities}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    counts = results["counts"]
    print(
        f"\n### PostgreSQL, {counts['activities']:,} activities ({counts['timeline_company_activities']:,} on the "
        f"timeline company, {counts['rep_activities']:,} of the rep), a team of {counts['manager_team']}; "
        f"load {timings}; load average {results['load_average_before']} before, {results['load_average_after']} after\n"
    )
    print("| request | p50 ms | p95 ms | budget |\n| --- | ---: | ---: | ---: |")
    for label, figures in results["pages"].items():
        budget = next((b for key, b in BUDGETS.items() if label.startswith(key)), None)
        flag = " ⚠" if budget and figures["p95_ms"] > budget else ""
        print(f"| {label} | {figures['p50_ms']} | {figures['p95_ms']}{flag} | {budget or ''} |")


if __name__ == "__main__":
    main()
