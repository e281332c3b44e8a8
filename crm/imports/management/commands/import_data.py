"""Import a CSV or XLSX file from the command line, through the same services as the wizard."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.core.errors import ServiceError
from crm.imports import services
from crm.imports.models import ImportRun, MatchRule
from crm.imports.progressbar import TerminalProgress
from crm.imports.targets import targets


def _user(username: str | None):
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"There is no active user {username!r}.") from None


def _mapping(run: ImportRun, path: str | None) -> dict:
    """A mapping file maps column names (or numbers) to field keys: {"手机": "phone"}."""
    if not path:
        return run.mapping
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read the mapping file: {exc}") from None
    if not isinstance(given, dict):
        raise CommandError("The mapping file must hold a JSON object.")
    names = {h.casefold(): str(i) for i, h in enumerate(run.headers)}
    mapping = {}
    for column, key in given.items():
        index = column if str(column).isdigit() else names.get(str(column).casefold())
        if index is None:
            raise CommandError(f"The file has no column {column!r}.")
        mapping[str(index)] = key
    return mapping


class Command(BaseCommand):
    help = "Import companies, contacts, leads, deals or products from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(targets()))
        parser.add_argument("file", nargs="?", default="")
        parser.add_argument("--mapping", help="JSON file: column name or number -> field key (default: suggested)")
        parser.add_argument("--match", default="", help="match rows by: email, phone, external_id, name, ...")
        parser.add_argument(
            "--rule", choices=MatchRule.values, help="create, update or upsert (default: upsert with --match)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument("--user", help="the user the import runs as (default: the system, no owner)")
        parser.add_argument("--resume", type=int, help="resume the import with this id from its checkpoint")
        parser.add_argument("--chunk-rows", type=int, default=None)
        parser.add_argument("--language", default="", help="language of messages and headers (default: LANGUAGE_CODE)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        from django.conf import settings
        from django.utils import translation

        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options):
        actor = _user(options["user"])
        if options["resume"]:
            run = ImportRun.objects.filter(pk=options["resume"]).first()
            if run is None:
                raise CommandError(f"There is no import {options['resume']}.")
            if run.status in (ImportRun.Status.DRAFT, ImportRun.Status.UNDONE):
                raise CommandError("This import cannot be resumed.")
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"There is no file {str(path)!r}.")
            try:
                with path.open("rb") as handle:
                    run = services.import_create(
                        actor=actor,
                        record_type=options["type"],
                        name=path.name,
                        chunks=iter(lambda: handle.read(1024 * 1024), b""),
                        size=path.stat().st_size,
                    )
                rule = options["rule"] or (MatchRule.UPSERT if options["match"] else MatchRule.CREATE)
                services.import_configure(
                    run=run,
                    actor=actor,
                    mapping=_mapping(run, options["mapping"]),
                    match_rule=rule,
                    match_on=options["match"],
                )
            except ServiceError as exc:
                messages = [m for msgs in exc.fields.values() for m in msgs] or [str(exc.message)]
                raise CommandError(" ".join(messages)) from None
            ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED, dry_run=options["dry_run"])
            run.refresh_from_db()
            self.stdout.write(
                f"Import {run.pk}: {run.total_rows:,} rows, mapping {json.dumps(run.mapping, ensure_ascii=False)}"
            )
        bar = None if options["quiet"] else TerminalProgress(self.stderr._out)
        try:
            run = services.import_execute(run=run, progress=bar, chunk_rows=options["chunk_rows"])
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(
            f"Import {run.pk} {run.status}: {run.created_count:,} created, {run.updated_count:,} updated, "
            f"{run.skipped_count:,} skipped, {run.failed_count:,} failed."
        )
        if run.failed_count:
            self.stdout.write(f"Refused rows: /imports/{run.pk}/errors/ (or /api/v1/imports/{run.pk}/errors/)")
