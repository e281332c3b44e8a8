"""Benchmarks: demo-data load time and server time of the main pages.

    .venv/bin/python bench/run.py --size medium --db sqlite
    .venv/bin/python bench/run.py --size large --db postgres

Each run builds a fresh database (a file under var/bench/ or the PostgreSQL
database crm_bench), loads the demo data with seed_demo, then times requests
through Django's test client in-process (server time without the network), for a
sales rep and an administrator. Results are printed as a Markdown table and saved
as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def database_url(db: str, *, fresh: bool, sqlite_file: str = "var/bench/bench.sqlite3") -> str:
    """The benchmark's database, emptied first when ``fresh`` (also used by export.py)."""
    if db == "sqlite":
        path = Path(sqlite_file)
        if not path.is_absolute():
            path = ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")
    if fresh:
        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    return url


def timed(client, url: str, repeat: int, **headers) -> dict:
    samples = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        response = client.get(url, **headers)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if hasattr(response, "streaming_content"):
            for _chunk in response.streaming_content:
                pass
        if i >= 2:  # the first two warm caches
            samples.append(elapsed)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "runs": len(samples),
    }


TIMELINE_ENTRIES = 1000


def company_with_long_history(entries: int) -> int:
    """A company whose timeline holds ``entries`` changes (added once, kept for --reuse)."""
    from django.contrib.contenttypes.models import ContentType

    from crm.audit.models import AuditEntry
    from crm.contacts.models import Company

    company = Company.objects.order_by("pk").first()
    content_type = ContentType.objects.get_for_model(Company)
    have = AuditEntry.objects.filter(content_type=content_type, object_id=str(company.pk)).count()
    rows = [
        AuditEntry(
            action=AuditEntry.Action.UPDATE,
            content_type=content_type,
            object_id=str(company.pk),
            object_repr=company.name,
            changes=[{"field": "phone", "old": f"+86215550{i:04d}", "new": f"+86215551{i:04d}"}],
        )
        for i in range(max(0, entries - have))
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=500)
    return company.pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="Time the pages on the data the last run of this size loaded."
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = database_url(args.db, fresh=not args.reuse)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from crm.accounts.models import User

    setup_test_environment()
    from crm.contacts.models import Contact
    from crm.core.services import database_optimize

    call_command("migrate", verbosity=0)
    seed_seconds = None
    if args.reuse and Contact.objects.exists():
        database_optimize()
    else:
        start = time.perf_counter()
        call_command("seed_demo", size=args.size, verbosity=0)  # ends with database_optimize()
        seed_seconds = round(time.perf_counter() - start, 1)

    results = {"seed_demo_s": seed_seconds, "pages": {}}
    pages = [
        ("contact list, 50 rows", "/customers/contacts/?per_page=50"),
        ("contact list, sorted by name", "/customers/contacts/?sort=name&per_page=50"),
        ("contact list, search 'wang'", "/customers/contacts/?q=wang&per_page=50"),
        ("company list, 50 rows", "/customers/companies/?per_page=50"),
        ("contact detail", "/customers/contacts/{contact}/"),
        ("global search '华信'", "/search/?q=%E5%8D%8E%E4%BF%A1"),
        ("dashboard", "/"),
        ("API contacts, 50 rows", "/api/v1/contacts/?page_size=50"),
    ]
    from crm.core.visibility import visible_to

    busy_company = company_with_long_history(TIMELINE_ENTRIES)
    for username in ("rep", "admin"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)

        contact = visible_to(user, Contact).order_by("-pk").values_list("pk", flat=True).first()
        for label, url in pages:
            results["pages"][f"{label} ({username})"] = timed(client, url.format(contact=contact), args.repeat)
        # Search as you type: what the top bar's dropdown and a record picker ask for on each key.
        sample = visible_to(user, Contact).exclude(phone="").exclude(email="").order_by("pk").first()
        typed = {
            "name 'wang'": "wang",
            "name '王芳'": "王芳",
            "pinyin initials 'zw'": "zw",
            "phone, part '138 0013'": "138 0013",
            f"phone, whole '{sample.phone}'": sample.phone,
            f"e-mail '{sample.email}'": sample.email,
        }
        for label, text in typed.items():
            query = urlencode({"q": text})
            results["pages"][f"search-as-you-type dropdown, {label} ({username})"] = timed(
                client, f"/search/?{query}", args.repeat, HTTP_HX_REQUEST="true"
            )
            lookup = urlencode({"type": "contacts.contact", "lookup_q": text})
            results["pages"][f"record picker top 10, {label} ({username})"] = timed(
                client, f"/lookup/?{lookup}", args.repeat, HTTP_HX_REQUEST="true"
            )
        if username == "admin":
            for label, path in (("detail", ""), ("timeline", "history/")):
                results["pages"][f"company 360 {label}, {TIMELINE_ENTRIES:,} timeline entries (admin)"] = timed(
                    client, f"/customers/companies/{busy_company}/{path}", args.repeat
                )

    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    results["db"] = args.db
    results["size"] = args.size
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"pages-{args.db}-{args.size}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    print(f"\n### {args.db}, {args.size}: seed_demo {results['seed_demo_s']} s, peak RSS {results['peak_rss_mb']} MB\n")
    print("| page | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for label, figures in results["pages"].items():
        print(f"| {label} | {figures['p50_ms']} | {figures['p95_ms']} |")


if __name__ == "__main__":
    main()
