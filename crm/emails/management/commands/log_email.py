"""Log a saved e-mail (.eml) on the contact it is about, as the gateway would.

python manage.py log_email message.eml --user rep
python manage.py log_email message.eml          # as the owner of the logging address in it
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.core.errors import ServiceError
from crm.emails.models import EmailSource
from crm.emails.services import email_log_inbound


class Command(BaseCommand):
    help = "Log an RFC 822 message (.eml file) as an e-mail activity on the matching contact."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .eml file (- reads standard input).")
        parser.add_argument(
            "--user", help="Log it as this user (user name); default: the owner of the logging address in it."
        )

    def handle(self, *args, **options):
        from django.conf import settings

        limit = settings.EMAIL_MAX_INBOUND_BYTES
        path = options["file"]
        if path == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"No such file: {path}")
            if file.stat().st_size > limit:
                raise CommandError(f"{path} is larger than EMAIL_MAX_INBOUND_BYTES ({limit} bytes).")
            raw = file.read_bytes()
        if len(raw) > limit:
            raise CommandError(f"The message is larger than EMAIL_MAX_INBOUND_BYTES ({limit} bytes).")
        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {options['user']!r}.")
        try:
            message, created = email_log_inbound(
                raw=raw, user=user, source=EmailSource.UPLOAD if user else EmailSource.LOGGING_ADDRESS
            )
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from None
        activity = message.activity
        contacts = ", ".join(f"{c.name} <{c.email}> (#{c.pk})" for c in message.contacts.order_by("pk"))
        state = "Logged" if created else "Already logged"
        self.stdout.write(
            f"{state}: e-mail #{message.pk} ({message.get_direction_display()}) {activity.subject!r}\n"
            f"  activity #{activity.pk} for {message.logged_by}, on {activity.contact}"
            f"{f' at {activity.company}' if activity.company_id else ''}\n"
            f"  from {message.from_address}; message ID {message.message_id}\n"
            f"  contacts: {contacts}\n"
            f"  attachments (not stored): {', '.join(message.attachment_names) or '-'}"
        )
