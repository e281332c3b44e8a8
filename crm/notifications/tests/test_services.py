"""notify, notify_many and marking read: idempotent, per recipient, safe in a transaction."""

import pytest
from django.db import transaction

from crm.core.errors import NotFoundError
from crm.notifications.models import Notification
from crm.notifications.services import in_user_locale, notifications_mark_read, notify, notify_many, render_for

pytestmark = pytest.mark.django_db


def test_a_key_notifies_once(users):
    first = notify(user=users.owner, kind="reminder", title="Call 王芳", url="/activities/1/", key="k1")
    again = notify(user=users.owner, kind="reminder", title="Call 王芳 again", key="k1")
    assert first is not None and again is None
    assert Notification.objects.filter(user=users.owner).count() == 1
    # The key is per recipient, and notifications without a key are never merged.
    assert notify(user=users.teammate, kind="reminder", title="x", key="k1") is not None
    notify(user=users.owner, kind="approval", title="a")
    notify(user=users.owner, kind="approval", title="a")
    assert Notification.objects.filter(user=users.owner).count() == 3


def test_a_duplicate_does_not_break_the_callers_transaction(users):
    notify(user=users.owner, kind="reminder", title="x", key="k")
    with transaction.atomic():
        assert notify(user=users.owner, kind="reminder", title="x", key="k") is None
        notify(user=users.owner, kind="reminder", title="y", key="other")
    assert set(Notification.objects.values_list("key", flat=True)) == {"k", "other"}


def test_the_duplicate_check_is_backed_by_the_constraint(users, monkeypatch):
    """Two writers passing the existence check together: the unique constraint decides."""
    notify(user=users.owner, kind="reminder", title="x", key="race")
    monkeypatch.setattr(
        "crm.notifications.services.Notification.objects.filter",
        lambda **kw: Notification.objects.none(),
    )
    with transaction.atomic():
        assert notify(user=users.owner, kind="reminder", title="x", key="race") is None


def test_links_stay_inside_the_crm(users):
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"):
        with pytest.raises(ValueError):
            notify(user=users.owner, kind="x", title="t", url=bad)
    assert notify(user=users.owner, kind="x", title="t", url="/pipeline/deals/3/").url == "/pipeline/deals/3/"


def test_notify_many_leaves_out_keys_already_there(users):
    notify(user=users.owner, kind="reminder", title="old", key="a")
    created = notify_many(
        [
            {"user": users.owner, "kind": "reminder", "title": "A", "key": "a"},
            {"user": users.owner, "kind": "reminder", "title": "B", "key": "b"},
            {"user": users.owner, "kind": "reminder", "title": "B twice", "key": "b"},
            {"user": users.teammate, "kind": "reminder", "title": "A for teammate", "key": "a"},
        ]
    )
    assert sorted(n.title for n in created) == ["A for teammate", "B"]
    assert Notification.objects.count() == 3


def test_marking_read_is_for_the_recipient_only(users):
    mine = [notify(user=users.owner, kind="x", title=f"n{i}") for i in range(3)]
    theirs = notify(user=users.teammate, kind="x", title="theirs")
    with pytest.raises(NotFoundError):
        notifications_mark_read(user=users.owner, ids=[mine[0].pk, theirs.pk])
    assert not Notification.objects.filter(read_at__isnull=False).exists()  # nothing half done
    with pytest.raises(NotFoundError):
        notifications_mark_read(user=users.owner, ids=[999999])
    assert notifications_mark_read(user=users.owner, ids=[mine[0].pk]) == 1
    assert notifications_mark_read(user=users.owner, ids=[mine[0].pk]) == 0  # already read
    assert notifications_mark_read(user=users.owner) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_texts_are_rendered_in_the_recipients_language_and_time_zone(users):
    import datetime

    from django.utils import formats, timezone
    from django.utils.translation import gettext

    users.owner.language, users.owner.time_zone = "zh-hans", "Europe/Berlin"
    when = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
    with in_user_locale(users.owner):
        assert gettext("Notifications") == "通知"
        assert timezone.localtime(when).hour == 9
    users.teammate.language, users.teammate.time_zone = "", ""  # the site's defaults
    text = render_for(users.teammate, lambda: formats.date_format(timezone.localtime(when), "H:i"))
    assert text == "16:00"  # Asia/Shanghai
