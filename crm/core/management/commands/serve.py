"""Run the whole CRM on one machine: web server, background worker and scheduler.

gunicorn serves the pages (static files through WhiteNoise); a Celery worker and
Celery beat run the background and scheduled work. Ctrl-C (or SIGTERM) stops all
three and waits for them. If one of them dies, the others are stopped too, so the
command never leaves half a system running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from config.env import env_int, env_str


def _die_with_parent() -> None:
    """In the child before it starts: the kernel sends it SIGTERM if serve dies, however
    serve dies (killed, crashed), so no web server or worker is ever left behind."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:  # not Linux: Ctrl-C and SIGTERM still stop everything
        pass


class Command(BaseCommand):
    help = "Run the web server, the background worker and the scheduler together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env_str("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000, minimum=1))
        parser.add_argument("--web-workers", type=int, default=env_int("WEB_CONCURRENCY", 3, minimum=1))
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def say(self, text: str) -> None:
        # Output must never stop the shutdown: with a closed terminal or pipe, writing
        # fails, and the children have to be stopped all the same.
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except (OSError, ValueError):
            pass

    def handle(self, *args, **options):
        python = sys.executable
        bin_dir = os.path.dirname(python)
        var = settings.VAR_DIR
        if settings.EMBEDDED:
            for sub in ("queue/out", "queue/processed", "queue/control", "cache", "mail"):
                (var / sub).mkdir(parents=True, exist_ok=True)
        from django.core.management import call_command
        from django.db import connection

        # Pages name their static files through the manifest; collect them first so a
        # bare `manage.py serve` works as well as `make run` (quick when unchanged).
        call_command("collectstatic", interactive=False, verbosity=0)
        if connection.vendor == "sqlite":
            from crm.core.services import database_optimize

            database_optimize()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.embedded"),
        }
        bind = f"{options['host']}:{options['port']}"
        commands = {
            "web": [
                os.path.join(bin_dir, "gunicorn"),
                "config.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
                "--access-logformat",
                '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s',
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ]
            commands["scheduler"] = [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ]
        procs: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)  # the terminal closed
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
            self.say(f"started {name} (pid {procs[name].pid})")
        from crm.core.registry import startup_notes

        shown_host = "127.0.0.1" if options["host"] in {"0.0.0.0", "::"} else options["host"]  # noqa: S104
        banner = ["", "=" * 64, f"  CRM is running at http://{shown_host}:{options['port']}/", "=" * 64]
        banner += startup_notes()
        banner += ["Press Ctrl-C to stop.", ""]
        self.say("\n".join(banner))
        exit_code = 0
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.say(f"{name} stopped with exit code {proc.returncode}; stopping the rest")
                        exit_code = proc.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self.say("stopping…")
            for proc in procs.values():
                if proc.poll() is None:
                    # The main process only: gunicorn and celery stop their own children.
                    proc.terminate()
            deadline = time.monotonic() + 20
            for name, proc in procs.items():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.say(f"{name} did not stop in time; killing it")
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            self.say("stopped")
        sys.exit(exit_code)
