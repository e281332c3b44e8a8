"""Benchmark: funnel and forecast for a quarter over 500,000 deals on PostgreSQL.

    .venv/bin/python bench/forecasts.py                 # fresh database, 500,000 deals
    .venv/bin/python bench/forecasts.py --reuse         # time again on the last load
    .venv/bin/python bench/forecasts.py --deals 50000   # a quicker run

The database is its own (``BENCH_FORECASTS_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_forecasts) and so is the var directory
(var/bench_forecasts), so it never collides with bench/run.py. Users and teams are
made like the demo's (one sales manager per regional team, reps below); the deals and
their stage changes are bulk-inserted in batches by the deals app's demo generator
(without contacts), quotas and snapshots by the forecasts app's. Then the forecast
and the funnel of the current quarter are requested through Django's test client,
in-process (server time, no network), as an administrator (all deals) and as a sales
manager (the deals of their team and the teams below), over the API and as pages.
The selectors are also timed alone. p50 and p95 of --repeat runs after two warm-ups.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import make_sales_organisation, percentiles, postgres_url  # noqa: E402


def database_url(*, fresh: bool) -> str:
    return postgres_url("BENCH_FORECASTS_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_forecasts", fresh=fresh)


def timed_call(fn, repeat: int) -> dict:
    samples = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        fn()
        if i >= 2:
            samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def timed_get(client, url: str, repeat: int) -> dict:
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")

    return timed_call(get, repeat)


def make_people():
    admin, managers, owners = make_sales_organisation()
    return admin, managers[0], owners


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Time on the data the last run loaded.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(fresh=not args.reuse)
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_forecasts")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from crm.accounts.models import User
    from crm.core.services import database_optimize
    from crm.deals.demo import seed_deals
    from crm.deals.models import Deal, DealStageChange
    from crm.forecasts.demo import seed_forecasts
    from crm.forecasts.periods import current_period
    from crm.forecasts.selectors import forecast, funnel

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages need the manifest
    load = {}
    if args.reuse and Deal.objects.exists():
        database_optimize()
        admin = User.objects.get(username="admin")
        manager = User.objects.get(username="manager_north")
    else:
        admin, manager, owners = make_people()
        start = time.perf_counter()

        def progress(what, done, total):
            print(f"\r{what}: {done:,}/{total:,}", end="", flush=True)

        seed_deals(total=args.deals, owners=owners, seed=2026, with_contacts=False, progress=progress)
        print()
        load["deals_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        seed_forecasts(owners=owners)
        load["quotas_and_snapshots_s"] = round(time.perf_counter() - start, 1)
        database_optimize()  # VACUUM (ANALYZE): the demo generator updates rows after inserting them
    quarter = current_period()
    counts = {
        "deals": Deal.objects.count(),
        "stage_changes": DealStageChange.objects.count(),
        "open_in_quarter": Deal.objects.filter(
            status="open", expected_close_date__gte=quarter.start, expected_close_date__lt=quarter.end
        ).count(),
        "stage_changes_in_quarter": DealStageChange.objects.filter(
            changed_at__gte=quarter.start_at, changed_at__lt=quarter.end_at
        ).count(),
    }
    results = {"load": load, "counts": counts, "period": quarter.key, "timings": {}}
    q = quarter.key
    for label, user in (("admin", admin), ("manager", manager)):
        client = Client()
        client.force_login(user)
        user = User.objects.get(pk=user.pk)
        rows = {
            "forecast selector, by owner": lambda u=user: forecast(user=u, period=quarter, group_by="owner"),
            "forecast selector, by team": lambda u=user: forecast(user=u, period=quarter, group_by="team"),
            "funnel selector": lambda u=user: funnel(user=u, period=quarter),
        }
        for name, fn in rows.items():
            results["timings"][f"{name} ({label})"] = timed_call(fn, args.repeat)
        for name, url in (
            ("GET /api/v1/forecast/ by owner", f"/api/v1/forecast/?period={q}&group_by=owner"),
            ("GET /api/v1/forecast/ by team", f"/api/v1/forecast/?period={q}&group_by=team"),
            ("GET /api/v1/funnel/", f"/api/v1/funnel/?period={q}"),
            ("forecast page", f"/forecasts/?period={q}"),
            ("funnel page", f"/forecasts/funnel/?period={q}"),
        ):
            results["timings"][f"{name} ({label})"] = timed_get(client, url, args.repeat)

    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "forecasts-postgres.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n### PostgreSQL, {counts['deals']:,} deals, {counts['stage_changes']:,} stage changes, {q}")
    print(f"load: {load}; counts: {counts}\n")
    print("| what | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for name, figures in results["timings"].items():
        print(f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} |")


if __name__ == "__main__":
    main()
