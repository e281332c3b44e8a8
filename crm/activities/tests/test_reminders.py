"""Reminders on tasks and meetings: when they are due, sent once, in the owner's language."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.activities import reminders
from crm.activities.models import Activity
from crm.activities.reminders import send_due_reminders
from crm.activities.services import activity_complete, activity_create, activity_delete, activity_update
from crm.activities.tasks import send_due_reminders_task
from crm.contacts.tests.factories import CompanyFactory
from crm.notifications.models import Notification, OutboundEmail

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


def task(owner, *, due_in, remind=30, **data):
    company = CompanyFactory(owner=owner)
    return activity_create(
        actor=owner,
        data={
            "kind": "task",
            "subject": data.pop("subject", "回访华为 Call Huawei back"),
            "due_at": timezone.now() + due_in,
            "remind_minutes_before": remind,
            "company": company,
            **data,
        },
    )


def meeting(owner, *, starts_in, remind=15, **data):
    company = CompanyFactory(owner=owner)
    return activity_create(
        actor=owner,
        data={
            "kind": "meeting",
            "subject": data.pop("subject", "季度回顾 Quarterly review"),
            "occurred_at": timezone.now() + starts_in,
            "end_at": timezone.now() + starts_in + datetime.timedelta(hours=1),
            "place": "上海办公室",
            "remind_minutes_before": remind,
            "company": company,
            **data,
        },
    )


def test_remind_at_follows_the_time_and_the_minutes(users):
    t = task(users.owner, due_in=datetime.timedelta(hours=2), remind=30)
    assert t.remind_at == t.due_at - 30 * MINUTE and t.reminded_at is None
    m = meeting(users.owner, starts_in=datetime.timedelta(days=1), remind=0)
    assert m.remind_at == m.occurred_at
    no_time = activity_create(
        actor=users.owner,
        data={"kind": "task", "subject": "Someday", "remind_minutes_before": 10, "company": t.company},
    )
    assert no_time.remind_at is None
    # A meeting logged after it happened, or a task already overdue, reminds no one.
    past = meeting(users.owner, starts_in=-datetime.timedelta(hours=1), remind=15)
    overdue = task(users.owner, due_in=-MINUTE, remind=30)
    assert past.remind_at is None and overdue.remind_at is None
    assert send_due_reminders()["reminders"] == 0


def test_only_tasks_and_meetings_keep_a_reminder(users):
    company = CompanyFactory(owner=users.owner)
    call = activity_create(
        actor=users.owner,
        data={"kind": "call", "subject": "Call", "remind_minutes_before": 10, "company": company},
    )
    assert call.remind_minutes_before is None and call.remind_at is None
    m = meeting(users.owner, starts_in=datetime.timedelta(hours=3))
    m = activity_update(instance=m, actor=users.owner, data={"kind": "note"})
    assert m.remind_minutes_before is None and m.remind_at is None


def test_the_minutes_are_validated_with_translated_errors(users, api_for):
    from crm.core.errors import ValidationFailed

    company = CompanyFactory(owner=users.owner)
    for bad in (-1, 40321, "ten", True):
        with pytest.raises(ValidationFailed) as exc:
            activity_create(
                actor=users.owner,
                data={"kind": "task", "subject": "x", "remind_minutes_before": bad, "company": company},
            )
        assert "remind_minutes_before" in exc.value.fields
    ok = task(users.owner, due_in=datetime.timedelta(weeks=5), remind=40320)
    assert ok.remind_minutes_before == 40320
    api = api_for(users.owner)
    api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = api.post(
        reverse("activity-list"),
        {"kind": "task", "subject": "x", "company": company.pk, "remind_minutes_before": 50000},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["remind_minutes_before"][0]
    assert "40320" in message and "确保" in message


def test_the_api_reads_and_writes_the_reminder(users, api_for):
    company = CompanyFactory(owner=users.owner)
    due = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    api = api_for(users.owner)
    response = api.post(
        reverse("activity-list"),
        {
            "kind": "task",
            "subject": "x",
            "company": company.pk,
            "due_at": due.isoformat(),
            "remind_minutes_before": 60,
            "remind_at": "2020-01-01T00:00:00Z",  # read-only: ignored
            "reminded_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["remind_minutes_before"] == 60 and body["reminded_at"] is None
    assert datetime.datetime.fromisoformat(body["remind_at"]) == due - 60 * MINUTE


def test_due_reminders_are_sent_once(users):
    users.owner.language = "en"
    users.owner.save()
    due = task(users.owner, due_in=10 * MINUTE, remind=30)
    soon = meeting(users.owner, starts_in=5 * MINUTE, remind=15, subject="Demo for 腾讯")
    later = task(users.owner, due_in=datetime.timedelta(hours=5), remind=30, subject="Later")
    result = send_due_reminders()
    assert result == {"reminders": 2, "emails": 2}
    notes = {n.title: n for n in Notification.objects.filter(user=users.owner)}
    assert set(notes) == {"Task due: 回访华为 Call Huawei back", "Meeting: Demo for 腾讯"}
    assert notes["Meeting: Demo for 腾讯"].url == soon.get_absolute_url()
    assert "Place: 上海办公室" in notes["Meeting: Demo for 腾讯"].body
    assert notes["Task due: 回访华为 Call Huawei back"].key == f"reminder:{due.pk}:{int(due.remind_at.timestamp())}"
    assert sorted(m.subject for m in mail.outbox) == [
        "Reminder: Meeting: Demo for 腾讯",
        "Reminder: Task due: 回访华为 Call Huawei back",
    ]
    assert all(m.to == [users.owner.email] for m in mail.outbox)
    assert f"http://localhost:8000{due.get_absolute_url()}" in mail.outbox[0].body + mail.outbox[1].body
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at is not None and later.reminded_at is None
    # Running again (beat every minute, a redelivered task) sends nothing new.
    assert send_due_reminders() == {"reminders": 0, "emails": 0}
    assert send_due_reminders_task.delay().get() == {"reminders": 0, "emails": 0}
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2 and OutboundEmail.objects.count() == 2


def test_done_deleted_future_and_inactive_owners_are_not_sent(users):
    done = task(users.owner, due_in=5 * MINUTE)
    activity_complete(activity=done, actor=users.owner)
    deleted = task(users.owner, due_in=5 * MINUTE)
    activity_delete(instance=deleted, actor=users.owner)
    task(users.owner, due_in=datetime.timedelta(hours=1), remind=30)  # reminder in 30 minutes
    gone = task(users.teammate, due_in=5 * MINUTE)
    users.teammate.is_active = False
    users.teammate.save()
    done.refresh_from_db()
    assert done.remind_at is None
    assert Activity.all_objects.get(pk=deleted.pk).remind_at is None
    assert send_due_reminders()["reminders"] == 0
    assert not Notification.objects.exists() and mail.outbox == []
    gone.refresh_from_db()
    assert gone.reminded_at is None


def test_rescheduling_arms_the_reminder_again(users):
    t = task(users.owner, due_in=10 * MINUTE, remind=30)
    send_due_reminders()
    t.refresh_from_db()
    assert t.reminded_at is not None
    # Moved to tomorrow: the reminder is armed for the new time, and sent then.
    t = activity_update(instance=t, actor=users.owner, data={"due_at": timezone.now() + datetime.timedelta(days=1)})
    assert t.reminded_at is None and t.remind_at > timezone.now()
    assert send_due_reminders()["reminders"] == 0
    tomorrow = t.remind_at + MINUTE
    assert send_due_reminders(now=tomorrow) == {"reminders": 1, "emails": 1}
    assert Notification.objects.count() == 2
    # Other edits (the subject) do not re-arm a reminder already sent.
    t = activity_update(instance=t, actor=users.owner, data={"subject": "Renamed"})
    assert t.reminded_at is not None
    assert send_due_reminders(now=tomorrow)["reminders"] == 0
    # A longer lead time whose reminder time is already past is not sent again either.
    t = activity_update(instance=t, actor=users.owner, data={"remind_minutes_before": 2 * 24 * 60})
    assert t.reminded_at is not None and t.remind_at < timezone.now()
    assert send_due_reminders()["reminders"] == 0


def test_changing_the_minutes_into_the_future_re_arms(users):
    m = meeting(users.owner, starts_in=datetime.timedelta(hours=2), remind=180)
    send_due_reminders()
    m = activity_update(instance=m, actor=users.owner, data={"remind_minutes_before": 15})
    assert m.reminded_at is None
    assert send_due_reminders(now=m.remind_at)["reminders"] == 1


def test_the_text_follows_the_owners_language_and_time_zone(users):
    users.owner.language, users.owner.time_zone = "zh-hans", "Asia/Shanghai"
    users.owner.save()
    users.teammate.language, users.teammate.time_zone = "en", "Europe/London"
    users.teammate.save()
    start = timezone.now().replace(second=0, microsecond=0) + 10 * MINUTE
    m = meeting(users.owner, starts_in=start - timezone.now(), remind=30)
    t = task(users.teammate, due_in=10 * MINUTE, remind=30, subject="Send the quote")
    send_due_reminders()
    zh = Notification.objects.get(user=users.owner)
    en = Notification.objects.get(user=users.teammate)
    shanghai = timezone.localtime(m.occurred_at, timezone=datetime.timezone(datetime.timedelta(hours=8)))
    assert zh.title == "会议：季度回顾 Quarterly review"
    assert shanghai.strftime("%H:%M") in zh.body and "Asia/Shanghai" in zh.body
    assert en.title == "Task due: Send the quote" and "Europe/London" in en.body
    zh_mail = next(m for m in mail.outbox if m.to == [users.owner.email])
    assert zh_mail.subject.startswith("提醒：") and "在 CRM 中打开" in zh_mail.body
    assert t.pk


def test_a_failure_mid_batch_sends_nothing_and_the_next_run_sends_all(users, monkeypatch):
    due = [task(users.owner, due_in=5 * MINUTE, subject=f"Task {i}") for i in range(5)]
    real = reminders.reminder_texts
    calls = []

    def explode_on_the_fourth(activity):
        calls.append(activity.pk)
        if len(calls) == 4:
            raise RuntimeError("worker killed")
        return real(activity)

    monkeypatch.setattr(reminders, "reminder_texts", explode_on_the_fourth)
    with pytest.raises(RuntimeError):
        send_due_reminders()
    assert not Notification.objects.exists() and not OutboundEmail.objects.exists() and mail.outbox == []
    assert not Activity.objects.filter(reminded_at__isnull=False).exists()
    monkeypatch.setattr(reminders, "reminder_texts", real)
    assert send_due_reminders() == {"reminders": 5, "emails": 5}
    assert Notification.objects.count() == 5 and len(mail.outbox) == 5
    assert {n.url for n in Notification.objects.all()} == {a.get_absolute_url() for a in due}


def test_batches_cover_every_due_reminder(users):
    for i in range(7):
        task(users.owner, due_in=5 * MINUTE, subject=f"T{i}")
    assert send_due_reminders(batch_size=3) == {"reminders": 7, "emails": 7}
    assert Notification.objects.count() == 7


def test_an_owner_without_e_mail_gets_the_notification_only(users):
    users.owner.email = ""
    users.owner.save()
    task(users.owner, due_in=5 * MINUTE)
    assert send_due_reminders() == {"reminders": 1, "emails": 0}
    assert Notification.objects.count() == 1 and not OutboundEmail.objects.exists()


def test_the_due_query_uses_the_partial_index(users):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    task(users.owner, due_in=5 * MINUTE)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = reminders.due_reminders(timezone.now()).explain()
        cursor.execute("RESET enable_seqscan")
    assert "activity_reminder_due_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once_on_postgresql(monkeypatch):
    """Two workers run the job at the same moment on the same due reminders: the rows one
    of them locked are skipped by the other (SKIP LOCKED), so each reminder gets exactly
    one notification and one e-mail."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite runs one writer at a time")
    from crm.core.testing.users import make_standing_users

    users = make_standing_users()
    due = [task(users.owner, due_in=5 * MINUTE, subject=f"Race {i}") for i in range(40)]
    barrier = threading.Barrier(2)
    results, errors = [], []
    real = reminders.reminder_texts

    def slowly(activity):  # long enough batches that the two workers overlap
        time.sleep(0.005)
        return real(activity)

    monkeypatch.setattr(reminders, "reminder_texts", slowly)

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(send_due_reminders(batch_size=5))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r["reminders"] for r in results) == 40
    assert all(r["reminders"] > 0 for r in results)  # both took batches
    assert sum(r["emails"] for r in results) == 40
    keys = list(Notification.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 40
    assert OutboundEmail.objects.count() == 40 and not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    assert len(mail.outbox) == 40 and len({m.subject for m in mail.outbox}) == 40
    assert Activity.objects.filter(pk__in=[a.pk for a in due], reminded_at__isnull=True).count() == 0
