"""Benchmark: the deals board of one pipeline over 500,000 deals on PostgreSQL.

    .venv/bin/python bench/deals.py                  # fresh database, 500,000 deals
    .venv/bin/python bench/deals.py --reuse          # time again on the last load
    .venv/bin/python bench/deals.py --deals 50000    # a quicker run

The database is its own (``BENCH_DEALS_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_deals) and so is the var directory
(var/bench_deals), so it never collides with the other benchmarks. Users and teams
are made like the demo's at its large size (four regional teams of twelve reps and
a manager under one sales department); the deals and their stage histories are
bulk-inserted in batches of 5,000 by the app's demo generator (crm/deals/demo.py),
then the database is vacuumed and analysed. The board, its lazy columns, the deals
list, the API list, the stale deals page and a move are requested through Django's
test client, in-process (server time, no network), as a sales rep (who sees the
team's deals), a sales manager (the team and below) and an administrator (all).
p50 and p95 of --repeat runs after two warm-ups. Results are printed as a Markdown
table and saved as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
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

BUDGET_MS = 150  # p95 of the board with filters (docs/performance.md)


def database_url(*, fresh: bool) -> str:
    return postgres_url("BENCH_DEALS_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_deals", fresh=fresh)


def timed(request, repeat: int) -> dict:
    samples = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        response = request(i)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}")
        if i >= 2:  # the first two warm caches
            samples.append(elapsed)
    return percentiles(samples)


def make_people():
    _admin, _managers, owners = make_sales_organisation()
    return owners


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Time on the data the last run loaded.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(fresh=not args.reuse)
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_deals")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from crm.accounts.models import Team, User
    from crm.core.services import database_optimize
    from crm.deals.demo import seed_deals
    from crm.deals.models import Deal, DealStageChange, Pipeline, StageKind

    setup_test_environment()  # DEBUG off, no query log
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages need the manifest
    load = {}
    if not (args.reuse and Deal.objects.exists()):
        owners = make_people()
        start = time.perf_counter()

        def progress(what, done, total):
            print(f"\r{what}: {done:,}/{total:,}", end="", flush=True)

        seed_deals(total=args.deals, owners=owners, seed=2026, with_contacts=False, progress=progress)
        print()
        load["deals_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    database_optimize()
    load["vacuum_analyze_s"] = round(time.perf_counter() - start, 1)

    pipeline = Pipeline.objects.get(is_default=True)
    renewals = Pipeline.objects.exclude(pk=pipeline.pk).order_by("position").first()
    first = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").first()
    second = pipeline.stages.filter(kind=StageKind.OPEN).order_by("position")[1]
    today = timezone.localdate()
    north = Team.objects.get(name__startswith="North")
    rep = User.objects.get(username="rep_north_0")
    filters = (
        f"&close_after={today.isoformat()}&close_before={(today + datetime.timedelta(days=90)).isoformat()}"
        "&min_amount=10000"
    )
    pages = [
        ("board", f"/pipeline/board/?pipeline={pipeline.pk}"),
        ("board, owner + close dates + min amount", f"/pipeline/board/?pipeline={pipeline.pk}&owner={rep.pk}{filters}"),
        ("board, close dates + min amount", f"/pipeline/board/?pipeline={pipeline.pk}{filters}"),
        ("board, team + max amount", f"/pipeline/board/?pipeline={pipeline.pk}&team={north.pk}&max_amount=50000"),
        ("board, renewals pipeline", f"/pipeline/board/?pipeline={renewals.pk}"),
        ("board column, load more", f"/pipeline/board/column/{first.pk}/?pipeline={pipeline.pk}&offset=20"),
        ("deals list, open, 50 rows", f"/pipeline/deals/?pipeline={pipeline.pk}&status=open&per_page=50"),
        ("API deals, one stage, 50 rows", f"/api/v1/deals/?pipeline={pipeline.pk}&stage={first.pk}&page_size=50"),
        ("stale deals", "/pipeline/stale/"),
    ]
    results = {"load": load, "pages": {}, "load_average_before": os.getloadavg()}
    for username in ("rep_north_0", "manager_north", "admin"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for label, url in pages:
            results["pages"][f"{label} ({username})"] = timed(
                lambda _i, url=url, client=client: client.get(url), args.repeat
            )
        # A move there and back, as the board's script sends it.
        deal = Deal.objects.filter(owner=user, pipeline=pipeline, stage=first).order_by("pk").first()
        if deal is None:
            continue

        def move(i, deal_pk=deal.pk, client=client):
            current = Deal.objects.only("version").get(pk=deal_pk)
            target = second if i % 2 == 0 else first
            return client.post(
                f"/pipeline/board/deals/{deal_pk}/move/?pipeline={pipeline.pk}",
                {"stage": target.pk, "version": current.version},
            )

        results["pages"][f"move a deal ({username})"] = timed(move, args.repeat)

    results["counts"] = {
        "deals": Deal.objects.count(),
        "open_in_pipeline": Deal.objects.filter(pipeline=pipeline, status="open").count(),
        "stage_changes": DealStageChange.objects.count(),
    }
    # Other processes sharing the cores stretch every figure; the load says how much.
    results["load_average_after"] = os.getloadavg()
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"deals-postgres-{args.deals}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    counts = results["counts"]
    print(
        f"\n### PostgreSQL, {counts['deals']:,} deals ({counts['open_in_pipeline']:,} open in the board's pipeline), "
        f"{counts['stage_changes']:,} stage changes; load {load}; 1/5/15-minute load average "
        f"{results['load_average_before']} before, {results['load_average_after']} after\n"
    )
    print("| request | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for label, figures in results["pages"].items():
        flag = " ⚠" if label.startswith("board") and figures["p95_ms"] > BUDGET_MS else ""
        print(f"| {label} | {figures['p50_ms']} | {figures['p95_ms']}{flag} |")


if __name__ == "__main__":
    main()
