"""A progress bar for the terminal commands (written to stderr, redrawn in place)."""

from __future__ import annotations

import sys
import time


class TerminalProgress:
    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        now = time.monotonic()
        if total is not None:
            self.total = total
        total = getattr(self, "total", 0)
        if now - self.last < 0.2 and done != total:
            return
        self.last = now
        share = done / total if total else 0
        filled = int(self.width * share)
        rate = done / max(now - self.started, 1e-6)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {share:6.1%} {done:,}/{total:,} rows {rate:,.0f}/s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
