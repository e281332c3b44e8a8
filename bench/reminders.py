"""Benchmark: 10,000 due reminders sent by the reminder job on PostgreSQL.

    .venv/bin/python bench/reminders.py                     # 10,000 reminders, one worker then two
    .venv/bin/python bench/reminders.py --reminders 2000    # a quicker run

The database is its own (``BENCH_REMINDERS_URL``, default
postgres://postgres@127.0.0.1:5432/crm_bench_reminders), made fresh each run, and so
is the var directory (var/bench_reminders). Users and teams are made like the demo's
at its large size (49 sales people, half of them working in Chinese, each with an
e-mail address); 10,000 tasks and meetings whose reminders are due are bulk-inserted
with ``remind_at`` computed as the services do, next to 10,000 whose reminders lie in
the future (the job must not read those).

Then ``send_due_reminders()`` runs, in-process, as the beat task would: it claims the
due reminders in batches, writes the notifications and the outbox rows, and sends the
e-mails through Django's in-memory mail backend (the figures are the CRM's work, not an
SMTP server's). Checked afterwards, in the database: one notification and one sent
e-mail per reminder, every reminder marked sent, the future ones untouched, and a
second run that sends nothing. The same is then done with two worker processes
running the job at the same moment on a fresh set of due reminders (each reminder
must still be sent exactly once). Results are printed and saved as JSON under
bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import make_sales_organisation, postgres_url  # noqa: E402

BUDGET_S = 30.0  # docs/performance.md
BATCH = 5000


def database_url(*, fresh: bool) -> str:
    return postgres_url("BENCH_REMINDERS_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_reminders", fresh=fresh)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CRM_VAR_DIR"] = str(ROOT / "var" / "bench_reminders")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    import django

    django.setup()
    from django.conf import settings

    # The CRM's work, not an SMTP server's: messages are kept in memory.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def make_reminders(owners: list[int], companies: list[int], total: int, *, due: bool, label: str) -> None:
    """``total`` tasks and meetings with a reminder, due now (``due``) or in a week."""
    from crm.activities.models import Activity
    from crm.activities.services import activity_remind_at, activity_search_text

    now = datetime.datetime.now(tz=datetime.UTC)
    rows = []
    for i in range(total):
        kind = "task" if i % 2 else "meeting"
        start = now + (datetime.timedelta(minutes=10 + i % 20) if due else datetime.timedelta(days=7))
        subject = f"{'回访客户' if kind == 'task' else '季度回顾会议'} {label} {i}"
        activity = Activity(
            kind=kind,
            subject=subject,
            owner_id=owners[i % len(owners)],
            company_id=companies[i % len(companies)],
            occurred_at=start if kind == "meeting" else now,
            due_at=start if kind == "task" else None,
            end_at=start + datetime.timedelta(hours=1) if kind == "meeting" else None,
            place="上海办公室" if kind == "meeting" else "",
            remind_minutes_before=30,
            search_text=activity_search_text(subject=subject),
        )
        activity.remind_at = activity_remind_at(activity)
        rows.append(activity)
        if len(rows) == BATCH:
            Activity.objects.bulk_create(rows)
            rows = []
    Activity.objects.bulk_create(rows)


def check(due_ids_label: str, total: int) -> dict:
    from crm.activities.models import Activity
    from crm.notifications.models import Notification, OutboundEmail

    due = Activity.objects.filter(subject__contains=f" {due_ids_label} ")
    keys = Notification.objects.filter(key__startswith="reminder:").values_list("key", flat=True)
    emails = OutboundEmail.objects.filter(subject__contains=f" {due_ids_label} ")
    return {
        "reminders_marked_sent": due.filter(reminded_at__isnull=False).count(),
        "notifications": Notification.objects.filter(title__contains=f" {due_ids_label} ").count(),
        "notification_keys_unique": len(set(keys)) == len(keys),
        "outbox_rows": emails.count(),
        "outbox_sent": emails.filter(sent_at__isnull=False).count(),
        "expected": total,
    }


def batch_plan() -> str:
    """The plan of the job's batch query (the rows it locks), as run each minute."""
    from crm.activities.reminders import BATCH_SIZE, due_reminders

    now = datetime.datetime.now(tz=datetime.UTC)
    return due_reminders(now).order_by("remind_at", "pk")[:BATCH_SIZE].explain()


def scan(plan: str) -> str:
    return next((line.strip() for line in plan.splitlines() if "Scan" in line and "activities" in line), "")


def worker(url: str, start_at: float, queue) -> None:
    setup_django(url)
    from django.core import mail

    from crm.activities.reminders import send_due_reminders

    mail.outbox = []
    while time.time() < start_at:
        time.sleep(0.005)
    began = time.perf_counter()
    result = send_due_reminders()
    queue.put({**result, "seconds": round(time.perf_counter() - began, 2), "mails": len(mail.outbox)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=10_000)
    args = parser.parse_args()
    total = args.reminders

    url = database_url(fresh=True)
    setup_django(url)
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from crm.activities.reminders import send_due_reminders
    from crm.contacts.models import Company
    from crm.core.services import database_optimize

    call_command("migrate", verbosity=0)
    _admin, _managers, owners = make_sales_organisation()
    User = get_user_model()
    User.objects.update(email=Concat(F("username"), Value("@example.com")))
    User.objects.filter(pk__in=owners[::2]).update(language="zh-hans", time_zone="Asia/Shanghai")
    Company.objects.bulk_create([Company(name=f"客户公司 {i}", owner_id=owners[i % len(owners)]) for i in range(500)])
    companies = list(Company.objects.values_list("pk", flat=True))
    start = time.perf_counter()
    make_reminders(owners, companies, total, due=True, label="first")
    make_reminders(owners, companies, total, due=False, label="future")
    load_s = round(time.perf_counter() - start, 1)
    database_optimize()
    plan = batch_plan()

    results: dict = {"reminders": total, "load_s": load_s, "plan": plan}
    mail.outbox = []
    load_before = os.getloadavg()[0]
    began, cpu = time.perf_counter(), time.process_time()
    first = send_due_reminders()
    results["one_worker"] = {
        **first,
        "seconds": round(time.perf_counter() - began, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),  # this process only, not PostgreSQL's
        "mails": len(mail.outbox),
        "load_average_before": round(load_before, 1),
    }
    began = time.perf_counter()
    results["second_run"] = {**send_due_reminders(), "seconds": round(time.perf_counter() - began, 2)}
    results["one_worker_check"] = check("first", total)
    results["plan_when_none_due"] = idle_plan = batch_plan()

    # Two workers at the same moment on a fresh set of due reminders.
    make_reminders(owners, companies, total, due=True, label="second")
    database_optimize()
    connection.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 8  # both processes set up Django first
    processes = [context.Process(target=worker, args=(url, start_at, queue)) for _ in range(2)]
    for process in processes:
        process.start()
    workers = [queue.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    results["two_workers"] = workers
    results["two_workers_check"] = check("second", total)
    results["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reminders-postgres.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    one, two = results["one_worker_check"], results["two_workers_check"]
    ok = all(
        c["reminders_marked_sent"] == c["notifications"] == c["outbox_rows"] == c["outbox_sent"] == total
        and c["notification_keys_unique"]
        for c in (one, two)
    )
    ok = ok and results["second_run"]["reminders"] == 0 and results["second_run"]["emails"] == 0
    ok = ok and results["one_worker"]["mails"] == total and sum(w["mails"] for w in workers) == total
    print(f"\n### PostgreSQL, {total:,} due reminders ({results['machine']})")
    print(f"load: {load_s} s; batch query with {total:,} due: {scan(plan)}; with none due: {scan(idle_plan)}")
    print("| run | reminders | e-mails | seconds |\n| --- | ---: | ---: | ---: |")
    one_run = results["one_worker"]
    print(f"| one worker | {first['reminders']:,} | {first['emails']:,} | {one_run['seconds']} |")
    second = results["second_run"]
    print(f"| the same again | {second['reminders']} | {second['emails']} | {second['seconds']} |")
    for i, w in enumerate(workers, start=1):
        print(f"| two workers at once: worker {i} | {w['reminders']:,} | {w['emails']:,} | {w['seconds']} |")
    print(f"one worker: {one_run['cpu_seconds']} s of CPU in the worker; load average before: {load_before:.1f}")
    print(f"checks: one worker {one}; two workers {two}")
    print("each reminder sent exactly once:", "yes" if ok else "NO")
    slowest = max(results["one_worker"]["seconds"], *(w["seconds"] for w in workers))
    if not ok or slowest > BUDGET_S:
        raise SystemExit(f"FAILED (budget {BUDGET_S} s)")


if __name__ == "__main__":
    main()
