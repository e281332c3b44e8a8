"""The e-mail outbox: each queued e-mail is sent once; failures are retried later."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from crm.notifications import services
from crm.notifications.models import OutboundEmail
from crm.notifications.services import email_enqueue, email_enqueue_many, outbox_send

pytestmark = pytest.mark.django_db


def test_queued_emails_are_sent_once():
    email_enqueue(to="wang@example.com", subject="提醒 Reminder", body="正文", key="r:1")
    assert email_enqueue(to="wang@example.com", subject="again", body="x", key="r:1") is None
    assert email_enqueue_many([{"to": "li@example.com", "subject": "S", "body": "B", "key": "r:1"}]) == 0
    assert outbox_send() == 1
    assert outbox_send() == 0
    assert [m.subject for m in mail.outbox] == ["提醒 Reminder"]
    row = OutboundEmail.objects.get()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""


def test_a_failure_is_kept_and_retried_after_the_lease(monkeypatch):
    email_enqueue(to="wang@example.com", subject="S", body="B")
    email_enqueue(to="li@example.com", subject="T", body="B")

    def refuse(self, *args, **kwargs):
        if self.to == ["wang@example.com"]:
            raise ConnectionRefusedError("SMTP down")
        return original(self, *args, **kwargs)

    from django.core.mail import EmailMessage

    original = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert outbox_send() == 1  # the other one went
    failed = OutboundEmail.objects.get(to="wang@example.com")
    assert failed.sent_at is None and failed.attempts == 1 and "SMTP down" in failed.last_error
    assert outbox_send() == 0  # still leased: not hammered in a loop
    monkeypatch.setattr(EmailMessage, "send", original)
    later = timezone.now() + services.OUTBOX_LEASE + datetime.timedelta(seconds=1)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    assert outbox_send() == 1
    failed.refresh_from_db()
    assert failed.sent_at is not None and failed.attempts == 2


def test_it_gives_up_after_the_last_attempt():
    email_enqueue(to="wang@example.com", subject="S", body="B")
    OutboundEmail.objects.update(attempts=services.OUTBOX_MAX_ATTEMPTS, last_error="bounced")
    assert outbox_send() == 0 and mail.outbox == []


def test_a_limit_stops_early():
    email_enqueue_many([{"to": f"u{i}@example.com", "subject": "S", "body": "B"} for i in range(7)])
    assert outbox_send(limit=3, batch_size=2) == 3
    assert outbox_send(batch_size=2) == 4


def test_old_read_notifications_and_sent_emails_are_purged(users):
    from crm.notifications.models import Notification
    from crm.notifications.services import notifications_purge, notify
    from crm.notifications.tasks import notifications_purge_task

    now = timezone.now()
    old_read = notify(user=users.owner, kind="x", title="old read")
    old_unread = notify(user=users.owner, kind="x", title="old unread")
    recent_read = notify(user=users.owner, kind="x", title="recent read")
    Notification.objects.filter(pk=old_read.pk).update(read_at=now - datetime.timedelta(days=91))
    Notification.objects.filter(pk=old_unread.pk).update(created_at=now - datetime.timedelta(days=400))
    Notification.objects.filter(pk=recent_read.pk).update(read_at=now - datetime.timedelta(days=3))
    sent = email_enqueue(to="a@example.com", subject="S", body="B")
    unsent = email_enqueue(to="b@example.com", subject="S", body="B")
    OutboundEmail.objects.filter(pk=sent.pk).update(sent_at=now - datetime.timedelta(days=31))
    assert notifications_purge() == {"notifications": 1, "emails": 1}
    assert set(Notification.objects.values_list("title", flat=True)) == {"old unread", "recent read"}
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [unsent.pk]
    assert notifications_purge_task.delay().get() == {"notifications": 0, "emails": 0}
