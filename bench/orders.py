"""Benchmark: receivables aging over 300,000 orders and gap-free numbering under
concurrent creation, on PostgreSQL.

    .venv/bin/python bench/orders.py                    # fresh database, 300,000 orders
    .venv/bin/python bench/orders.py --reuse            # time again on the last load
    .venv/bin/python bench/orders.py --orders 30000     # a quicker run

The database is its own (``BENCH_ORDERS_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_orders) and so is the var directory
(var/bench_orders). Users and teams are made like the demo's at its large size (four
regional teams of twelve reps and a manager); 20,000 companies and 30,000 contacts
are bulk-inserted, then the orders with about 3.5 lines each (1,000,000 lines at the
default size), their payment plans (one to three instalments), payments (full,
partial or none; about a third of what is owed is overdue) and last status changes,
by the app's demo generator (crm/orders/demo.py, multi-row inserts in batches of
5,000); then VACUUM ANALYZE.

Timed in-process (server time, no network), p50/p95 of --repeat runs after two
warm-ups: the aging query over every customer (as an administrator, a sales manager
and a rep), the aging by customer and by owner, the receivables page and the API's
aging. Budget: p95 of the aging over all customers under 300 ms.

Numbering: --creations successful order creations at once (default 100), plus one in
ten more that fail after they were numbered (rolled back), from --workers threads,
each with its own database connection (default 50: PostgreSQL's max_connections is
100 and other benchmarks share the server), started together at a barrier, repeated
--rounds times. Each round's numbers must be --creations distinct numbers following
the previous ones without a gap. Results are printed as Markdown and saved as JSON under
bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import make_sales_organisation, percentiles, postgres_url  # noqa: E402

BUDGET_MS = 300  # p95 of the aging over all customers (docs/performance.md)


def database_url(*, fresh: bool) -> str:
    return postgres_url("BENCH_ORDERS_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_orders", fresh=fresh)


def timed(call, repeat: int) -> dict:
    samples = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        result = call(i)
        elapsed = (time.perf_counter() - start) * 1000
        status = getattr(result, "status_code", 200)
        if status != 200:
            raise SystemExit(f"answered {status}")
        if i >= 2:
            samples.append(elapsed)
    return percentiles(samples)


def make_customers(owners: list[int], companies: int, contacts: int) -> None:
    from crm.contacts.models import Company, Contact

    batch = 5000
    for start in range(0, companies, batch):
        Company.objects.bulk_create(
            [
                Company(name=f"客户公司 {i} Customer {i}", owner_id=owners[i % len(owners)])
                for i in range(start, min(companies, start + batch))
            ]
        )
    company_ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, contacts, batch):
        Contact.objects.bulk_create(
            [
                Contact(
                    name=f"联系人 {i}",
                    owner_id=owners[i % len(owners)],
                    # One contact in six buys on their own (no company).
                    company_id=None if i % 6 == 5 else company_ids[i % len(company_ids)],
                )
                for i in range(start, min(contacts, start + batch))
            ]
        )


def numbering_round(workers: int, creations: int, company_id: int) -> dict:
    """``creations`` orders at once from ``workers`` threads (own connections)."""
    from django.db import connection, transaction

    from crm.contacts.models import Company
    from crm.orders import services

    company = Company.objects.get(pk=company_id)
    barrier = threading.Barrier(workers)
    numbers, errors, rolled_back = [], [], []
    lock = threading.Lock()
    # ``creations`` that succeed, plus one in ten more that fail after they were numbered.
    plan = [False] * creations + [True] * (creations // 10)
    per_worker = [plan[w::workers] for w in range(workers)]

    def work(w: int) -> None:
        try:
            barrier.wait(timeout=60)
            for n, fail in enumerate(per_worker[w]):
                try:
                    with transaction.atomic():
                        order = services.order_create(
                            actor=None,
                            data={"title": f"Bench {w}-{n}", "company": company},
                            lines=[
                                {"description": "Bench line", "quantity": "2", "unit_price": "99.95", "tax_rate": "13"}
                            ],
                        )
                        if fail:
                            raise RuntimeError("fails after numbering")
                    with lock:
                        numbers.append(order.number)
                except RuntimeError:
                    with lock:
                        rolled_back.append(1)
        except Exception as exc:  # reported in the result
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    seconds = time.perf_counter() - start
    return {"numbers": numbers, "errors": errors, "rolled_back": len(rolled_back), "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--creations", type=int, default=100)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="Time on the data the last run loaded.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(fresh=not args.reuse)
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_orders")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from crm.accounts.models import User
    from crm.contacts.models import Company
    from crm.core.services import database_optimize
    from crm.orders import selectors
    from crm.orders.demo import seed_orders
    from crm.orders.models import Instalment, Order, OrderLine, OrderSequence, Payment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    load = {}
    if not (args.reuse and Order.objects.exists()):
        _admin, _managers, owners = make_sales_organisation()
        start = time.perf_counter()
        make_customers(owners, 20_000, 30_000)
        load["customers_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()

        def progress(what, done, total):
            print(f"\r{what}: {done:,}/{total:,}", end="", flush=True)

        seed_orders(total=args.orders, owners=owners, seed=2026, progress=progress)
        print()
        load["orders_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    database_optimize()
    load["vacuum_analyze_s"] = round(time.perf_counter() - start, 1)

    results = {"load": load, "timings": {}, "load_average_before": os.getloadavg()}
    today = timezone.localdate()
    for username in ("admin", "manager_north", "rep_north_0"):
        user = User.objects.get(username=username)
        results["timings"][f"aging, all customers ({username})"] = timed(
            lambda _i, user=user: selectors.aging(user, today=today), args.repeat
        )
    admin = User.objects.get(username="admin")
    results["timings"]["aging by customer, top 50 (admin)"] = timed(
        lambda _i: selectors.aging(admin, today=today, by="customer", limit=50), args.repeat
    )
    results["timings"]["aging by owner (admin)"] = timed(
        lambda _i: selectors.aging(admin, today=today, by="owner"), args.repeat
    )
    for username in ("admin", "manager_north", "rep_north_0"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        results["timings"][f"receivables page ({username})"] = timed(
            lambda _i, client=client: client.get("/orders/receivables/"), args.repeat
        )
    client = Client()
    client.force_login(admin)
    results["timings"]["API aging (admin)"] = timed(lambda _i: client.get("/api/v1/receivables/aging/"), args.repeat)
    results["timings"]["API overdue, first page (admin)"] = timed(
        lambda _i: client.get("/api/v1/receivables/overdue/"), args.repeat
    )

    # Numbering under concurrent creation.
    company_id = Company.objects.order_by("pk").values_list("pk", flat=True).first()
    year = today.year
    rounds = []
    for _r in range(args.rounds):
        before = OrderSequence.objects.filter(year=year).values_list("last", flat=True).first() or 0
        outcome = numbering_round(args.workers, args.creations, company_id)
        after = OrderSequence.objects.get(year=year).last
        got = sorted(int(n.rsplit("-", 1)[1]) for n in outcome["numbers"])
        ok = (
            not outcome["errors"]
            and len(set(got)) == len(got)
            and len(got) == args.creations
            and got == list(range(before + 1, before + len(got) + 1))
            and after == before + len(got)
        )
        rounds.append(
            {
                "created": len(got),
                "rolled_back": outcome["rolled_back"],
                "distinct_and_gap_free": ok,
                "first": before + 1,
                "last": after,
                "seconds": outcome["seconds"],
                "errors": outcome["errors"][:3],
            }
        )
    numbers = Order.objects.filter(order_date__year=year).values_list("number", flat=True)
    every = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    results["numbering"] = {
        "rounds": rounds,
        "workers": args.workers,
        "creations_per_round": args.creations,
        "whole_year_gap_free": every == list(range(1, len(every) + 1)),
    }
    results["counts"] = {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "instalments": Instalment.objects.count(),
        "payments": Payment.objects.count(),
        "overdue_instalments": selectors.overdue_instalments(admin, today=today).count(),
    }
    results["load_average_after"] = os.getloadavg()
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"orders-postgres-{args.orders}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    counts = results["counts"]
    print(
        f"\n### PostgreSQL, {counts['orders']:,} orders, {counts['lines']:,} lines, {counts['instalments']:,} "
        f"instalments ({counts['overdue_instalments']:,} overdue), {counts['payments']:,} payments; load {load}; "
        f"load average {results['load_average_before']} before, {results['load_average_after']} after; "
        f"{results['machine']}\n"
    )
    print("| request | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for label, figures in results["timings"].items():
        flag = " ⚠" if label.startswith("aging, all") and figures["p95_ms"] > BUDGET_MS else ""
        print(f"| {label} | {figures['p50_ms']} | {figures['p95_ms']}{flag} |")
    print("\n| round | created | rolled back | distinct, gap-free | numbers | seconds |")
    print("| ---: | ---: | ---: | --- | --- | ---: |")
    for n, r in enumerate(rounds, start=1):
        print(
            f"| {n} | {r['created']} | {r['rolled_back']} | {'yes' if r['distinct_and_gap_free'] else 'NO'} | "
            f"{r['first']}–{r['last']} | {r['seconds']} |"
        )
    print(f"\nWhole year gap-free: {results['numbering']['whole_year_gap_free']}")


if __name__ == "__main__":
    main()
