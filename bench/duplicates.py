"""Benchmark: duplicate detection over the whole database on PostgreSQL.

    .venv/bin/python bench/duplicates.py                          # 1,000,000 people (reuses a loaded DB)
    .venv/bin/python bench/duplicates.py --fresh                  # drop and load again
    .venv/bin/python bench/duplicates.py --people 200000 --fresh  # a quicker run

The database is its own (``BENCH_DUPLICATES_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_dupes). The data is the generated test
set of ``crm/duplicates/testdata.py`` with known duplicates (typos, swapped names,
pinyin for hanzi, missing values, phone formats, e-mail case): ``--people`` people
become about 1.2 times as many contacts (a fifth of them have one or two copies),
over ``people / 15`` companies, owned round-robin by 49 sales people; plus
``--companies`` companies from the company test set. Rows are written with COPY,
indexes built afterwards, then VACUUM ANALYZE.

Measured:

- the scan job's body (``duplicates_scan``: streaming, blocking, scoring, storing the
  pairs) for contacts and for companies, wall time and peak memory of the process;
- precision and recall of the pairs at the default threshold against the known
  duplicates;
- the on-save check (``contact_matches``) for a new contact with the e-mail, phone,
  company and a similar name of an existing one, as a sales rep and as an
  administrator: p50/p95 of ``--repeat`` checks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import CopyWriter, make_sales_organisation, percentiles, postgres_url  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_dupes"
BUDGETS = {"contact scan (s)": 120, "on-save check p95 (ms)": 20}


def peak_mb() -> float:
    """The process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def reset_peak() -> None:
    """Start measuring the peak again from the current size (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def load(people: int, companies: int, owners: list[int], log) -> dict:
    from django.db import connection

    from crm.contacts.models import Company, Contact
    from crm.duplicates import testdata

    started = time.perf_counter()
    n_companies = max(2, people // 15)
    rng = random.Random(7)
    company_writer = CopyWriter(Company, ["id", "name", "owner_id", "created_at", "updated_at"])
    company_writer.drop_indexes()
    now = "2026-11-01T00:00:00+00:00"
    company_writer.write(
        (i, f"基准公司 {i} 有限公司", owners[i % len(owners)], now, now) for i in range(1, n_companies + 1)
    )
    log(f"{n_companies:,} companies for the contacts")
    contacts = testdata.contact_test_set(people, seed=2026, companies=list(range(1, n_companies + 1)))
    log(f"generated {len(contacts.rows):,} contacts, {len(contacts.truth):,} true pairs")
    writer = CopyWriter(Contact, ["id", "name", "email", "phone", "company_id", "owner_id", "created_at", "updated_at"])
    writer.drop_indexes()
    writer.write(
        (pk, name, email, phone, company, owners[pk % len(owners)], now, now)
        for pk, name, email, phone, _emails, _phones, company in contacts.rows
    )
    log("contacts written")
    offset = n_companies + 1
    company_set = testdata.company_test_set(companies, seed=2026)
    company_writer.write(
        (
            pk + offset,
            name,
            owners[(pk + offset) % len(owners)],
            now,
            now,
        )
        for pk, name, *_rest in company_set.rows
    )
    # The other columns of the company test set, written with one UPDATE from a temp table.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE dupe_company (id bigint, registration_number text, email text, phone text, "
            "website text, region text, address text)"
        )
        raw = connection.connection
        with raw.cursor() as c, c.copy("COPY dupe_company FROM STDIN") as copy:
            for pk, _name, code, email, phone, website, region, address in company_set.rows:
                copy.write_row((pk + offset, code, email, phone, website, region, address))
        cursor.execute(
            "UPDATE contacts_company c SET registration_number = d.registration_number, email = d.email, "
            "phone = d.phone, website = d.website, region = d.region, address = d.address "
            "FROM dupe_company d WHERE c.id = d.id"
        )
    for table in ("contacts_company", "contacts_contact"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - fixed names
    company_writer.finish()
    writer.finish()
    truth = {
        "contact": sorted(contacts.truth),
        "company": sorted((a + offset, b + offset) for a, b in company_set.truth),
    }
    (ROOT / "var" / "bench_duplicates").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "bench_duplicates" / "truth.json").write_text(json.dumps(truth))
    del rng
    return {"load_s": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="Drop the database and load again.")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = postgres_url("BENCH_DUPLICATES_URL", DEFAULT_URL, fresh=args.fresh)
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_duplicates")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command

    from crm.accounts.models import User
    from crm.contacts.models import Contact
    from crm.core.services import database_optimize
    from crm.duplicates import engine, selectors, services
    from crm.duplicates.models import DuplicatePair
    from crm.duplicates.testdata import precision_recall

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    result: dict = {"load_average_start": os.getloadavg()}
    if not Contact.objects.exists():
        _admin, _managers, owners = make_sales_organisation()
        result.update(load(args.people, args.companies, owners, log))
        started = time.perf_counter()
        database_optimize()
        result["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
        log("loaded")
    truth_file = ROOT / "var" / "bench_duplicates" / "truth.json"
    truth = {k: {tuple(p) for p in v} for k, v in json.loads(truth_file.read_text()).items()}
    result["contacts"] = Contact.objects.count()

    for kind in (engine.CONTACT, engine.COMPANY):
        DuplicatePair.objects.filter(kind=kind).delete()
        reset_peak()
        before = peak_mb()
        started = time.perf_counter()
        scanned = services.duplicates_scan(kind=kind)
        seconds = time.perf_counter() - started
        found = {
            (a, b)
            for a, b in DuplicatePair.objects.filter(kind=kind, score__gte=engine.DEFAULT_MIN_SCORE).values_list(
                "a_id", "b_id"
            )
        }
        precision, recall = precision_recall(found, truth[kind])
        result[f"{kind} scan"] = {
            **scanned,
            "seconds": round(seconds, 1),
            "rss_mb_before": before,
            "peak_rss_mb_during": peak_mb(),
            "true_pairs": len(truth[kind]),
            "found_at_default_threshold": len(found),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "load_average": os.getloadavg(),
        }
        log(f"{kind}: {json.dumps(result[f'{kind} scan'])}")

    # The on-save check: a new contact that looks like an existing one.
    rep = User.objects.filter(role__key="sales_rep").order_by("pk").first()
    admin = User.objects.get(username="admin")
    rng = random.Random(11)
    max_id = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    samples_for = {}
    for label, user in (("rep", rep), ("admin", admin)):
        samples = []
        hits = 0
        for i in range(args.repeat + 5):
            row = None
            while row is None:
                row = (
                    Contact.objects.filter(pk=rng.randint(1, max_id))
                    .values("name", "email", "phone", "company_id")
                    .first()
                )
            data = {
                "name": row["name"] + "a",
                "email": (row["email"] or "").upper(),
                "phone": row["phone"],
                "company": row["company_id"],
            }
            started = time.perf_counter()
            matches = selectors.contact_matches(user=user, data=data)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 5:
                samples.append(elapsed)
                hits += bool(matches)
        samples_for[label] = {**percentiles(samples), "with_matches": hits}
    result["on-save check"] = samples_for

    # The review page and the API list, as an administrator and as a sales rep.
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    pages = {}
    for label, user in (("admin", admin), ("rep", rep)):
        client = Client()
        client.force_login(user)
        for name, url in (
            ("review page", "/duplicates/?type=contact"),
            ("API list", "/api/v1/duplicates/?type=contact"),
        ):
            samples = []
            for i in range(12):
                started = time.perf_counter()
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                if i >= 2:
                    samples.append((time.perf_counter() - started) * 1000)
            pages[f"{name} ({label})"] = percentiles(samples)
    result["pages"] = pages
    result["load_average_end"] = os.getloadavg()
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results" / f"duplicates-postgres-{args.people}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    ok = result["contact scan"]["seconds"] <= BUDGETS["contact scan (s)"] and all(
        v["p95_ms"] <= BUDGETS["on-save check p95 (ms)"] for v in samples_for.values()
    )
    print("within budget" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
