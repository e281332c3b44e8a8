"""Benchmark: exporting every contact as CSV and as XLSX, time and peak memory.

    .venv/bin/python bench/export.py --size medium --db sqlite
    .venv/bin/python bench/export.py --size large --db postgres --reuse

Like bench/run.py, each run builds a fresh database (a SQLite file, by default
var/bench/bench.sqlite3, or the PostgreSQL database in BENCH_POSTGRES_URL, by
default crm_bench) and loads the demo data with seed_demo; with --reuse it
exports the data already there. Then, for each format, a separate process signs
in as the administrator and downloads /customers/contacts/export/ through
Django's test client in-process, reading the whole response. It reports

- the wall time of the request, response read to the end;
- the peak resident memory of that process (ru_maxrss), and how much it grew
  over the process's resident memory just before the export;
- with --tracemalloc, in a further run (tracing slows Python down, so it is not
  timed), the peak of Python's own allocations during the export.

An XLSX export of more than EXPORT_BACKGROUND_ROWS rows is built by a background
job on the server (the same writer, to a file); here the limit is lifted so that the
writing is timed inside the request.

Results are printed as a Markdown table and saved as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import database_url  # noqa: E402 - the same database setup as the page benchmark

EXPORT_URL = "/customers/contacts/export/?format={fmt}"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # The server builds an Excel file of more rows than this in a background job; the
    # job writes the same workbook the same way, so here it is timed in the request.
    os.environ["EXPORT_BACKGROUND_ROWS"] = str(10**9)
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # DEBUG off: no query log growing with the rows


def rss_mb() -> float:
    """The current resident memory, from /proc (Linux); 0 where it is not available."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except OSError:
        return 0.0


def measure(fmt: str, *, username: str, trace: bool) -> dict:
    """One export in this process (called in a child process per format)."""
    import tracemalloc

    from django.test import Client

    from crm.accounts.models import User
    from crm.audit.models import AuditEntry

    client = Client()
    client.force_login(User.objects.get(username=username))
    # Warm up: imports, content types, custom fields, a first query.
    warm = client.get(EXPORT_URL.format(fmt=fmt) + "&q=no-such-contact-anywhere")
    for _chunk in warm.streaming_content:
        pass
    warm.close()
    before_mb = rss_mb()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    response = client.get(EXPORT_URL.format(fmt=fmt))
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}")
    first_byte_s = None
    size = 0
    for chunk in response.streaming_content:
        if first_byte_s is None:
            first_byte_s = time.perf_counter() - start
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - start
    result = {
        "format": fmt,
        "rows": AuditEntry.objects.filter(action="export").order_by("-pk").values_list("extra", flat=True)[0]["rows"],
        "bytes": size,
        "first_byte_s": round(first_byte_s or seconds, 2),
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if trace:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)
        tracemalloc.stop()
    return result


def run_child(args, fmt: str, *, trace: bool) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        fmt,
        "--db",
        args.db,
        "--sqlite-file",
        args.sqlite_file,
        "--user",
        args.user,
        "--reuse",
    ]
    if trace:
        command.append("--tracemalloc")
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy())
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sqlite-file", default="var/bench/bench.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="Export the data the last run loaded.")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--tracemalloc", action="store_true", help="Also measure Python's peak allocations.")
    parser.add_argument("--child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = database_url(args.db, fresh=not args.reuse, sqlite_file=args.sqlite_file)
    if args.child:
        setup_django(url)
        print(json.dumps(measure(args.child, username=args.user, trace=args.tracemalloc)))
        return

    setup_django(url)
    from django.core.management import call_command

    from crm.contacts.models import Contact

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = round(time.perf_counter() - start, 1)
    seed_seconds = None
    if not (args.reuse and Contact.objects.exists()):
        start = time.perf_counter()
        call_command("seed_demo", size=args.size, verbosity=0)
        seed_seconds = round(time.perf_counter() - start, 1)
    contacts = Contact.objects.count()
    from django.db import connections

    connections.close_all()

    results = {
        "db": args.db,
        "size": args.size,
        "contacts": contacts,
        "migrate_s": migrate_seconds,
        "seed_demo_s": seed_seconds,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "exports": {},
    }
    for fmt in args.formats.split(","):
        figures = run_child(args, fmt, trace=False)
        if args.tracemalloc:
            figures["tracemalloc_peak_mb"] = run_child(args, fmt, trace=True)["tracemalloc_peak_mb"]
        results["exports"][fmt] = figures
        print(json.dumps(figures), flush=True)

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"export-{args.db}-{args.size}.json"
    if path.exists():  # keep the figures of a format this run did not measure
        earlier = json.loads(path.read_text()).get("exports", {})
        results["exports"] = {**earlier, **results["exports"]}
    path.write_text(json.dumps(results, indent=2))
    print(f"\n### export, {args.db}, {args.size}: {contacts:,} contacts\n")
    print("| format | rows | MB written | seconds | first byte s | RSS before MB | peak RSS MB | tracemalloc peak MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for fmt, f in results["exports"].items():
        print(
            f"| {fmt} | {f['rows']:,} | {f['bytes'] / 1024 / 1024:.1f} | {f['seconds']} | {f['first_byte_s']} "
            f"| {f['rss_before_mb']} | {f['peak_rss_mb']} | {f.get('tracemalloc_peak_mb', '–')} |"
        )


if __name__ == "__main__":
    main()
