"""Benchmark: importing contacts from a CSV file, and a crash test of the import.

    .venv/bin/python bench/imports.py                       # 1,000,000 rows, PostgreSQL and SQLite
    .venv/bin/python bench/imports.py --rows 200000         # a quicker run
    .venv/bin/python bench/imports.py --only postgresql
    .venv/bin/python bench/imports.py --crash-test          # kill -9 a 100k-row import 10 times

The file is generated (seeded): Chinese and Latin names, mobile numbers in several
formats (spaces, dashes, +86, full-width digits), mixed-case e-mails, job titles,
birthdays in four date formats, and 2% of rows repeating the e-mail of an earlier row
(with another title), which matching on e-mail turns into updates.

Each database is its own: PostgreSQL ``BENCH_IMPORT_URL`` (default
postgres://postgres@127.0.0.1:5432/crm_bench_import, dropped and created again),
SQLite a file under /tmp. The import runs in a child process (``--worker``) exactly as
the job does (``import_execute``: cleaning with the contact services' rules, matching
on e-mail, the bulk path with COPY on PostgreSQL, ImportChange rows and checkpoints
per chunk) into the migrated, indexed contacts table; reported are rows per second,
the child's peak memory (VmHWM) and, on PostgreSQL, the ratio to a raw ``COPY`` of the
same file into a bare table of text columns measured in the same run.

The crash test prepares a 100k-row import, starts it in a child process, kills it with
SIGKILL at a random moment, checks that the database holds whole chunks matching the
checkpoint (no contact without its ImportChange row, no e-mail twice), then either
resumes it to the end or undoes it (alternately), and checks the result: complete
(every distinct e-mail once) or nothing left.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import postgres_url  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_import"
WORK = Path(os.environ.get("BENCH_IMPORT_DIR", "/tmp/crm-bench-import"))  # noqa: S108 - the benchmark's scratch space
TARGETS = {"postgresql": 25_000, "sqlite": 10_000}
MEMORY_BUDGET_MB = 500

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "志强",
    "晓东",
    "海燕",
    "玉兰",
]
LATIN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "David",
    "Susan",
    "Michael",
    "Karen",
    "Anna",
    "Peter",
    "Laura",
    "Tom",
    "Emma",
    "Lucas",
    "Sofia",
    "Noah",
]
LATIN_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Miller",
    "Davis",
    "Garcia",
    "Wilson",
    "Moore",
    "Taylor",
    "Lee",
    "Martin",
    "Clark",
    "Lewis",
    "Walker",
]
TITLES = [
    "经理",
    "销售总监",
    "采购经理",
    "工程师",
    "CEO",
    "CTO",
    "Buyer",
    "Purchasing Manager",
    "总经理",
    "财务主管",
    "",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "186",
    "187",
    "188",
    "189",
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def generate(path: Path, rows: int, seed: int = 2026) -> int:
    """Write the CSV; returns the number of contacts it makes (distinct e-mails + rows without one)."""
    rnd = random.Random(seed)
    emails: list[str] = []
    blanks = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机", "邮箱", "职位", "生日"])
        for i in range(rows):
            if rnd.random() < 0.001:
                email = ""  # no e-mail: never matched, always a new contact
                blanks += 1
            elif emails and rnd.random() < 0.02:
                email = rnd.choice(emails[-5000:]).upper()
            else:
                email = f"user{i}.{rnd.randint(100, 999)}@example{i % 97}.com"
                emails.append(email)
            if rnd.random() < 0.7:
                name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            else:
                name = f"{rnd.choice(LATIN_FIRST)} {rnd.choice(LATIN_LAST)}"
            digits = rnd.choice(MOBILE_PREFIXES) + f"{rnd.randint(0, 99_999_999):08d}"
            style = rnd.random()
            if style < 0.4:
                phone = digits
            elif style < 0.6:
                phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            elif style < 0.8:
                phone = f"+86-{digits}"
            elif style < 0.9:
                phone = digits.translate(FULL_WIDTH)
            else:
                phone = ""
            year, month, day = rnd.randint(1960, 2000), rnd.randint(1, 12), rnd.randint(1, 28)
            birthday = rnd.choice(
                [
                    f"{year}-{month:02d}-{day:02d}",
                    f"{year}/{month}/{day}",
                    f"{day:02d}.{month:02d}.{year}",
                    f"{year}年{month}月{day}日",
                    "",
                ]
            )
            writer.writerow([name, phone, email, rnd.choice(TITLES), birthday])
    return len(emails) + blanks


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    os.environ["CRM_VAR_DIR"] = str(WORK / "var")
    os.environ["IMPORT_DIR"] = str(WORK / "uploads")
    import django

    django.setup()


def _admin():
    from django.contrib.auth import get_user_model

    from crm.accounts.models import Role
    from crm.accounts.roles import ensure_builtin_roles

    ensure_builtin_roles()
    user, _created = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"role": Role.objects.get(key="administrator"), "full_name": "Bench"}
    )
    return user


def prepare_run(url: str, path: Path, *, migrate: bool) -> int:
    """(In this process) migrate, and upload + configure an import of the file. Returns its id."""
    _setup(url)
    from django.core.management import call_command

    from crm.imports import services
    from crm.imports.models import ImportRun

    if migrate:
        call_command("migrate", verbosity=0)
    admin = _admin()
    with path.open("rb") as handle:
        run = services.import_create(
            actor=admin, record_type="contacts", name=path.name, chunks=iter(lambda: handle.read(1 << 20), b"")
        )
    services.import_configure(run=run, actor=admin, mapping=run.mapping, match_rule="upsert", match_on="email")
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
    return run.pk


def worker(url: str, run_id: int) -> None:
    """(In a child process) run the import to its end, print the timing as JSON."""
    _setup(url)
    from crm.imports.models import ImportRun
    from crm.imports.services import import_execute

    run = ImportRun.objects.get(pk=run_id)
    start = time.perf_counter()
    run = import_execute(run=run)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 2),
                "status": run.status,
                "created": run.created_count,
                "updated": run.updated_count,
                "failed": run.failed_count,
                "peak_mb": _peak_mb(),
                # The forked process that cleans the chunks ahead (its pages are shared
                # with this one until written, so the sum overstates the memory used).
                "child_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            }
        )
    )


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(url: str, run_id: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", str(run_id), "--url", url, *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def indexed_floor(url: str) -> dict:
    """Seconds to write the rows the import stored into an empty copy of the contacts
    table with all its indexes (INSERT ... SELECT, in the server: no client, no
    cleaning). What the indexes alone cost on this machine: no import into this table
    can be faster."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_indexed_floor")
        conn.execute("CREATE TABLE bench_indexed_floor (LIKE contacts_contact INCLUDING ALL)")
        count = conn.execute("SELECT count(*) FROM contacts_contact").fetchone()[0]
        start = time.perf_counter()
        conn.execute("INSERT INTO bench_indexed_floor SELECT * FROM contacts_contact")
        elapsed = time.perf_counter() - start
        indexes = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'bench_indexed_floor'").fetchone()[0]
        start = time.perf_counter()
        conn.execute("DROP INDEX bench_indexed_floor_search_text_idx")
        conn.execute("TRUNCATE bench_indexed_floor")
        begin = time.perf_counter()
        conn.execute("INSERT INTO bench_indexed_floor SELECT * FROM contacts_contact")
        without_trigram = time.perf_counter() - begin
        conn.execute("DROP TABLE bench_indexed_floor")
    return {
        "rows": count,
        "indexes": indexes,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(count / elapsed),
        "without_trigram_index_s": round(without_trigram, 1),
        "without_trigram_index_rows_per_s": round(count / without_trigram),
    }


def raw_copy(url: str, path: Path) -> float:
    """Seconds for COPY of the file into a bare table of text columns (the floor)."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_copy")
        conn.execute("CREATE TABLE bench_raw_copy (name text, phone text, email text, title text, birthday text)")
        start = time.perf_counter()
        with (
            conn.cursor() as cursor,
            path.open("rb") as handle,
            cursor.copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while data := handle.read(1 << 20):
                copy.write(data)
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw_copy")
    return elapsed


def measure(vendor: str, path: Path, rows: int, distinct: int) -> dict:
    if vendor == "postgresql":
        url = postgres_url("BENCH_IMPORT_URL", DEFAULT_URL, fresh=True)
    else:
        db = WORK / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    prepare = subprocess.run(
        [sys.executable, __file__, "--prepare", str(path), "--url", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    run_id = int(prepare.stdout.strip().splitlines()[-1])
    child = _child(url, run_id)
    out, _err = child.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    result.update(vendor=vendor, rows=rows, rows_per_s=round(rows / result["seconds"]))
    result["target_rows_per_s"] = TARGETS[vendor]
    result["expected_created"] = distinct
    if vendor == "postgresql":
        copy_s = raw_copy(url, path)
        result["raw_copy_s"] = round(copy_s, 2)
        result["raw_copy_rows_per_s"] = round(rows / copy_s)
        result["ratio_to_raw_copy"] = round(result["seconds"] / copy_s, 1)
        result["indexed_floor"] = indexed_floor(url)
    return result


# Crash test ---------------------------------------------------------------------------
def _check_state(url: str, run_id: int) -> dict:
    """Called in a fresh child (clean Django state): what the database holds for the run."""
    out = subprocess.run(
        [sys.executable, __file__, "--inspect", str(run_id), "--url", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def inspect(url: str, run_id: int) -> None:
    _setup(url)
    from django.db.models import Count

    from crm.contacts.models import Contact
    from crm.imports.models import ImportChange, ImportRun

    run = ImportRun.objects.get(pk=run_id)
    contacts = Contact.all_objects.count()
    created = ImportChange.objects.filter(run=run, action="created").count()
    doubled = Contact.all_objects.exclude(email="").values("email").annotate(n=Count("id")).filter(n__gt=1).count()
    orphans = Contact.all_objects.exclude(
        pk__in=ImportChange.objects.filter(run=run, action="created").values("object_id")
    ).count()
    print(
        json.dumps(
            {
                "status": run.status,
                "checkpoint": run.checkpoint,
                "total": run.total_rows,
                "contacts": contacts,
                "created_changes": created,
                "created_count": run.created_count,
                "doubled_emails": doubled,
                "contacts_without_change_row": orphans,
            }
        )
    )


def undo(url: str, run_id: int) -> None:
    _setup(url)
    from crm.imports.models import ImportRun
    from crm.imports.services import import_undo

    run = ImportRun.objects.get(pk=run_id)
    if run.status == ImportRun.Status.RUNNING:
        # What a user does after a crash they do not want resumed: mark it failed, then undo.
        ImportRun.objects.filter(pk=run_id).update(status=ImportRun.Status.FAILED, message="killed")
        run.refresh_from_db()
    print(json.dumps(import_undo(run=run, actor=None)))


def crash_test(rounds: int, rows: int, seed: int) -> dict:
    url = postgres_url("BENCH_IMPORT_URL", DEFAULT_URL, fresh=True)
    path = WORK / f"crash-{rows}.csv"
    distinct = generate(path, rows, seed)
    rnd = random.Random(seed)
    results = []
    migrate = True
    for number in range(rounds):
        prepare = subprocess.run(
            [sys.executable, __file__, "--prepare", str(path), "--url", url] + ([] if migrate else ["--no-migrate"]),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        migrate = False
        run_id = int(prepare.stdout.strip().splitlines()[-1])
        child = _child(url, run_id)
        delay = rnd.uniform(3.0, 16.0)  # the child needs ~3 s to start; the import ~20 s on an idle machine
        time.sleep(delay)
        killed = child.poll() is None
        if killed:
            os.kill(child.pid, signal.SIGKILL)
        child.wait()
        after_kill = _check_state(url, run_id)
        # Whole chunks only: every contact has its ImportChange row, none doubled, and the
        # records match the checkpoint's counts.
        consistent = (
            after_kill["contacts_without_change_row"] == 0
            and after_kill["doubled_emails"] == 0
            and after_kill["created_changes"] == after_kill["created_count"] == after_kill["contacts"]
        )
        action = "resume" if number % 2 == 0 else "undo"
        started = time.perf_counter()
        if action == "resume":
            _child(url, run_id).communicate()
            final = _check_state(url, run_id)
            ok = final["status"] == "done" and final["contacts"] == distinct and final["doubled_emails"] == 0
            ok = ok and final["checkpoint"] == final["total"] == rows
        else:
            subprocess.run(
                [sys.executable, __file__, "--undo", str(run_id), "--url", url],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            )
            final = _check_state(url, run_id)
            ok = final["status"] == "undone" and final["contacts"] == 0
        then_s = round(time.perf_counter() - started, 1)
        # Clean up for the next round: undo a completed run.
        if final["status"] == "done":
            subprocess.run(
                [sys.executable, __file__, "--undo", str(run_id), "--url", url],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            )
            left = _check_state(url, run_id)["contacts"]
            ok = ok and left == 0
        results.append(
            {
                "round": number + 1,
                "killed_after_s": round(delay, 1),
                "killed": killed,
                "rows_applied_at_kill": after_kill["checkpoint"],
                "consistent_after_kill": consistent,
                "then": action,
                "then_s": then_s,
                "ok": ok and consistent,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return {"rows": rows, "distinct_emails": distinct, "rounds": results, "all_ok": all(r["ok"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--crash-test", action="store_true")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--crash-rows", type=int, default=100_000)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--no-migrate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inspect", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--undo", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.url, args.worker)
    if args.prepare:
        print(prepare_run(args.url, Path(args.prepare), migrate=not args.no_migrate))
        return None
    if args.inspect:
        return inspect(args.url, args.inspect)
    if args.undo:
        return undo(args.url, args.undo)
    WORK.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    if args.crash_test:
        report["crash_test"] = crash_test(args.rounds, args.crash_rows, args.seed)
    else:
        path = WORK / f"contacts-{args.rows}.csv"
        start = time.perf_counter()
        distinct = generate(path, args.rows, args.seed)
        report["file"] = {
            "rows": args.rows,
            "mb": round(path.stat().st_size / 1e6, 1),
            "distinct_emails": distinct,
            "generated_s": round(time.perf_counter() - start, 1),
        }
        for vendor in ("postgresql", "sqlite"):
            if args.only and vendor != args.only:
                continue
            report[vendor] = measure(vendor, path, args.rows, distinct)
            print(json.dumps(report[vendor]), flush=True)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2, ensure_ascii=False))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    name = "imports-crash.json" if args.crash_test else f"imports-{args.rows}.json"
    (results / name).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return None


if __name__ == "__main__":
    main()
