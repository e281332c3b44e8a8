"""`manage.py serve` (what `make run` starts): it serves, and however it stops, it
leaves no web server, worker or scheduler behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def environment(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.embedded",
        "CRM_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    return env


def start(env) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200 and len(descendants(proc.pid)) >= 3:
                    return proc, port
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("serve did not answer /readyz within 60 s")


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.2)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_ctrl_c_stops_web_worker_and_scheduler(environment):
    proc, port = start(environment)
    children = descendants(proc.pid)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
        assert response.status == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=40) == 0
    assert wait_gone(children, 10) == set()


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_children_do_not_outlive_a_killed_serve(environment):
    proc, _port = start(environment)
    children = descendants(proc.pid)
    proc.kill()
    proc.wait(timeout=10)
    left = wait_gone(children, 30)
    for pid in left:  # do not leave anything running even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == set()
