"""Export a record list to a file: the same rows and columns as the list page's export."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils.text import capfirst

from crm.audit.services import Action, audit_record
from crm.core.exports import stream_csv, write_export_file
from crm.imports.progressbar import TerminalProgress
from crm.imports.targets import targets


def _pages(record_type: str):
    from django.urls import get_resolver

    from crm.core.views.generic import pages_for

    get_resolver().url_patterns  # noqa: B018 - importing the URLconf declares every app's pages
    target = targets()[record_type]
    pages = pages_for(target.model)
    if pages is None:
        raise CommandError(f"{record_type} have no list to export.")
    return pages


class Command(BaseCommand):
    help = "Export companies, contacts, leads, deals or products as CSV or XLSX, as the list page's export does."

    def add_arguments(self, parser):
        parser.add_argument("type", choices=sorted(targets()))
        parser.add_argument("file")
        parser.add_argument("--segment", type=int, help="only the records of this saved filter")
        parser.add_argument("--format", choices=("csv", "xlsx"), default=None, help="default: from the file name")
        parser.add_argument("--user", required=True, help="whose view of the records is exported")
        parser.add_argument("--language", default="", help="language of messages and headers (default: LANGUAGE_CODE)")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        from django.conf import settings
        from django.utils import translation

        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options):
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no active user {options['user']!r}.") from None
        pages = _pages(options["type"])
        if not user.has_perm(pages.perm("export")):
            raise CommandError(f"{user.username} may not export {options['type']}.")
        path = Path(options["file"])
        fmt = options["format"] or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        params = QueryDict(mutable=True)
        if options["segment"]:
            params["segment"] = str(options["segment"])
        header, qs, table = pages.export_source(user=user, params=params)
        total = qs.count()
        audit_record(
            action=Action.EXPORT,
            actor=user,
            object_repr=f"{pages.opts.verbose_name_plural} ({total})",
            extra={
                "record_type": pages.list_name,
                "rows": total,
                "filters": params.urlencode(),
                "format": fmt,
                "command": True,
            },
        )
        bar = None if options["quiet"] else TerminalProgress(self.stderr._out)
        if bar is not None:
            bar(0, total=total)

        seen = [0]

        def counted(rows):
            for done, row in enumerate(rows, start=1):
                seen[0] = done
                if bar is not None and done % 500 == 0:
                    bar(done)
                yield row

        rows = counted(table.export_rows(qs))
        if fmt == "xlsx":
            written = write_export_file(path, header, rows, sheet_name=capfirst(pages.opts.verbose_name_plural))
        else:
            partial = path.with_name(path.name + ".part")
            with partial.open("w", encoding="utf-8", newline="") as handle:
                for piece in stream_csv(header, rows):
                    handle.write(piece)
            partial.replace(path)
            written = seen[0]
        if bar is not None:
            bar(total, total=total)
            bar.close()
        self.stdout.write(f"{written:,} rows written to {path}")
