"""Write every likely duplicate pair of companies or contacts to a CSV file.

    python manage.py find_duplicates contacts --output pairs.csv --min-score 80

Same engine as the scan job (crm/duplicates/scan.py); nothing is stored.
"""

from __future__ import annotations

import csv
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from crm.duplicates import engine, scan

TYPES = {"companies": engine.COMPANY, "contacts": engine.CONTACT}


class Command(BaseCommand):
    help = "Find likely duplicate companies or contacts and write id_a,id_b,score to a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(TYPES), help="companies or contacts")
        parser.add_argument("--output", "-o", required=True, help="CSV file to write ('-' for standard output)")
        parser.add_argument(
            "--min-score",
            type=int,
            default=engine.DEFAULT_MIN_SCORE,
            help=f"lowest score written, 0-100 (default {engine.DEFAULT_MIN_SCORE})",
        )

    def handle(self, *args, **options):
        min_score = options["min_score"]
        if not 0 <= min_score <= 100:
            raise CommandError("--min-score must be between 0 and 100.")
        kind = TYPES[options["type"]]
        stats = scan.ScanStats()
        started = time.monotonic()
        pairs = scan.find_pairs(kind, min_score=min_score, stats=stats)
        output = options["output"]
        handle = sys.stdout if output == "-" else open(output, "w", newline="", encoding="utf-8")  # noqa: SIM115
        try:
            writer = csv.writer(handle)
            writer.writerow(["id_a", "id_b", "score"])
            for a, b, score, _reasons in pairs:
                writer.writerow([a, b, score])
        finally:
            if handle is not sys.stdout:
                handle.close()
        self.stderr.write(
            f"{stats.records} {options['type']}, {stats.candidates} candidate pairs, "
            f"{len(pairs)} pairs >= {min_score} in {time.monotonic() - started:.1f}s"
        )
