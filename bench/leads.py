"""Benchmark: public web form submissions against a real server.

    .venv/bin/python bench/leads.py                      # medium demo data, PostgreSQL
    .venv/bin/python bench/leads.py --reuse --requests 4000

Builds the PostgreSQL database in BENCH_LEADS_POSTGRES_URL (default
crm_bench_leads, its own so parallel benchmarks do not collide), loads the demo
data with seed_demo (leads, contacts and the demo web form, whose leads are shared
round-robin over a sales team), then starts ``manage.py serve --no-worker`` on a
loopback port with its own var directory (file cache: the rate limit counts there).

Load: ``--clients`` processes (default 2) each post ``--requests / clients``
form submissions over keep-alive connections, as a browser would (form-encoded,
answered with the thank-you page), each from its own visitor address
(X-Forwarded-For, trusted for the run) so the per-address rate limit does not stop
them; one in ten repeats the e-mail of an existing lead (the duplicate path).
A time cap stops the run whatever happens. Reported: p50/p95/p99 latency as the
client sees it, submissions per second over the whole run, the CPU time the
server processes spent per submission (from /proc: a figure that does not depend
on what else the machine is doing), the load average before and after, and the
leads that were created (checked in the database afterwards).

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import postgres_url  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_leads"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare(url: str, size: str, reuse: bool) -> dict:
    """Migrate and seed in this process; return the form key and some existing e-mails."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    import django

    django.setup()
    from django.core.management import call_command

    from crm.leads.models import Lead, WebForm

    call_command("migrate", verbosity=0)
    seeded = None
    if not (reuse and Lead.objects.exists()):
        start = time.perf_counter()
        call_command("seed_demo", size=size, verbosity=0)
        seeded = round(time.perf_counter() - start, 1)
    web_form = WebForm.objects.get(key="demo-contact-us")
    emails = list(
        Lead.objects.filter(status__in=["new", "working"]).exclude(email="").values_list("email", flat=True)[:2000]
    )
    return {
        "key": web_form.key,
        "emails": emails,
        "leads_before": Lead.all_objects.count(),
        "seed_s": seeded,
        "team_size": web_form.team.members.filter(is_active=True).count() if web_form.team_id else 0,
    }


def client_loop(port: int, path: str, count: int, worker: int, emails: list[str], deadline: float, out) -> None:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    for i in range(count):
        if time.monotonic() > deadline:
            break
        n = worker * 1_000_000 + i
        duplicate = emails and i % 10 == 0
        body = urllib.parse.urlencode(
            {
                "name": f"访客 Visitor {n}",
                "company_name": f"基准测试 Bench {n % 500} 有限公司",
                "email": emails[i % len(emails)] if duplicate else f"bench{n}@example.com",
                "phone": f"+86139{n % 100_000_000:08d}",
                "description": "想了解价格 Please send a quote",
                "website_url": "",
            }
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8" if i % 2 else "en",
            # One visitor address per submission (10.w.x.y), trusted for this run.
            "X-Forwarded-For": f"10.{worker}.{(i // 250) % 250}.{i % 250 + 1}",
        }
        start = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    conn.close()
    out.put({"latencies": latencies, "statuses": statuses})


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (from /proc, Linux)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += ticks.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total / os.sysconf("SC_CLK_TCK")


def database_backends_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL backends serving this database (their process title names
    it), so the database's share of each submission is counted too."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
            if not title.startswith("postgres:") or f" {database} " not in title:
                continue
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--reuse", action="store_true", help="Use the data the last run loaded.")
    parser.add_argument("--requests", type=int, default=6000, help="Submissions in all.")
    parser.add_argument("--clients", type=int, default=2, help="Client processes.")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=100, help="Submissions before timing starts.")
    parser.add_argument("--time-cap", type=float, default=180, help="Seconds; the load stops at this point.")
    args = parser.parse_args()

    url = postgres_url("BENCH_LEADS_POSTGRES_URL", DEFAULT_URL, fresh=not args.reuse)
    var_dir = ROOT / "var" / "bench-leads"
    var_dir.mkdir(parents=True, exist_ok=True)
    # Django is set up in a child process so this one stays a plain load generator.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        info = pool.apply(prepare, (url, args.size, args.reuse))

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.embedded",
        "CRM_VAR_DIR": str(var_dir),
        "TRUST_X_FORWARDED_FOR": "true",
        "LOG_LEVEL": "WARNING",
    }
    log = open(var_dir / "serve.log", "w")  # noqa: SIM115 - kept open for the server's lifetime
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            "--no-worker",
            "--host",
            HOST,
            "--port",
            str(port),
            "--web-workers",
            str(args.web_workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(port)
        path = f"/leads/f/{info['key']}/"
        queue = ctx.Queue()
        # Warm-up: each gunicorn worker loads its code and opens its connection.
        warm = ctx.Process(target=client_loop, args=(port, path, args.warmup, 99, [], time.monotonic() + 60, queue))
        warm.start()
        queue.get()
        warm.join()

        per_client = args.requests // args.clients
        deadline = time.monotonic() + args.time_cap
        load_before = os.getloadavg()[0]
        cpu_before = tree_cpu_seconds(server.pid)
        database = url.rsplit("/", 1)[1]
        db_cpu_before = database_backends_cpu_seconds(database)
        started = time.perf_counter()
        workers = [
            ctx.Process(target=client_loop, args=(port, path, per_client, w, info["emails"], deadline, queue))
            for w in range(args.clients)
        ]
        for proc in workers:
            proc.start()
        results = [queue.get() for _ in workers]
        elapsed = time.perf_counter() - started
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        db_cpu = database_backends_cpu_seconds(database) - db_cpu_before
        load_after = os.getloadavg()[0]
        for proc in workers:
            proc.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    latencies = sorted(v for r in results for v in r["latencies"])
    statuses: dict[str, int] = {}
    for r in results:
        for status, count in r["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + count
    with ctx.Pool(1) as pool:
        leads_after = pool.apply(count_leads, (url,))
    made = leads_after - info["leads_before"] - args.warmup
    summary = {
        "requests": len(latencies),
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "leads_created": made,
        "server_cpu_ms_per_submission": round(server_cpu * 1000 / max(1, len(latencies)), 2),
        "database_cpu_ms_per_submission": round(db_cpu * 1000 / max(1, len(latencies)), 2),
        # What the CPU figures allow on this machine's cores with nothing else running
        # (client processes excluded): a projection, not a measurement.
        "cpu_bound_per_second": round((os.cpu_count() or 1) * len(latencies) / max(1e-9, server_cpu + db_cpu), 1),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "leads_before": info["leads_before"],
        "round_robin_team": info["team_size"],
        "seed_demo_s": info["seed_s"],
        "clients": args.clients,
        "web_workers": args.web_workers,
        "size": args.size,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"leads-webform-{args.size}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"\n### web form submissions, postgres, {args.size} demo data ({summary['leads_before']:,} leads before)\n")
    print(
        "| submissions | per second | p50 ms | p95 ms | p99 ms | CPU ms each (server + database) "
        "| CPU-bound per second | load | statuses | created |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
    print(
        f"| {summary['requests']} | {summary['per_second']} | {summary['p50_ms']} | {summary['p95_ms']} "
        f"| {summary['p99_ms']} | {summary['server_cpu_ms_per_submission']} + "
        f"{summary['database_cpu_ms_per_submission']} | {summary['cpu_bound_per_second']} "
        f"| {load_before:.1f} → {load_after:.1f} | {statuses} | {made} |"
    )


def count_leads(url: str) -> int:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")
    import django

    django.setup()
    from crm.leads.models import Lead

    return Lead.all_objects.count()


if __name__ == "__main__":
    main()
