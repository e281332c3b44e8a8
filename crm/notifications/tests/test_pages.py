"""The bell in the top bar and the notification centre page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.notifications.models import Notification
from crm.notifications.services import notify

pytestmark = pytest.mark.django_db


def bell(html: str) -> str:
    start = html.index('id="notification-bell"')
    return html[start : html.index("</a>", start)]


def test_the_bell_shows_the_unread_count(users, client_for):
    client = client_for(users.owner)
    html = client.get(reverse("core:dashboard")).content.decode()
    assert "bell-count" not in bell(html)  # hidden when 0
    for i in range(3):
        notify(user=users.owner, kind="x", title=f"n{i}")
    notify(user=users.teammate, kind="x", title="not mine")
    read = notify(user=users.owner, kind="x", title="read")
    read.read_at = read.created_at
    read.save()
    html = client.get(reverse("core:dashboard")).content.decode()
    assert 'data-unread="3">3</span>' in bell(html)


def test_beyond_99_it_says_99_plus_and_stays_one_query(users, client_for):
    Notification.objects.bulk_create([Notification(user=users.owner, kind="x", title=f"n{i}") for i in range(120)])
    client = client_for(users.owner)
    client.get(reverse("core:dashboard"))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("core:dashboard")).content.decode()
    assert ">99+</span>" in bell(html)
    counting = [q["sql"] for q in queries.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counting) == 1 and "LIMIT 100" in counting[0]


def test_the_list_is_mine_newest_first_with_unread_marked(users, client_for):
    old = notify(user=users.owner, kind="x", title="Older 旧的")
    new = notify(user=users.owner, kind="x", title="Newer 新的", body="Line one\nline two")
    notify(user=users.teammate, kind="x", title="Someone else's")
    Notification.objects.filter(pk=old.pk).update(created_at=new.created_at.replace(year=2025))
    notifications_read = notify(user=users.owner, kind="x", title="Already read")
    Notification.objects.filter(pk=notifications_read.pk).update(read_at=new.created_at)
    html = client_for(users.owner).get(reverse("notifications:notification_list")).content.decode()
    assert "Someone else" not in html
    assert html.index("Newer 新的") < html.index("Older 旧的")
    assert f'id="notification-{new.pk}" class="notification unread"' in html
    assert f'id="notification-{notifications_read.pk}" class="notification"' in html
    assert "Line one<br>line two" in html
    unread_only = client_for(users.owner).get(reverse("notifications:notification_list"), {"unread": "1"})
    assert "Already read" not in unread_only.content.decode()


def test_the_list_is_paginated(users, client_for):
    Notification.objects.bulk_create(
        [Notification(user=users.owner, kind="x", title=f"item {i:02}") for i in range(30)]
    )
    client = client_for(users.owner)
    first = client.get(reverse("notifications:notification_list")).content.decode()
    second = client.get(reverse("notifications:notification_list"), {"page": 2}).content.decode()
    assert first.count('class="notification unread"') == 25 and second.count('class="notification unread"') == 5
    assert "Page 1 of 2" in first


def test_opening_marks_read_and_goes_to_the_link(users, client_for):
    n = notify(user=users.owner, kind="reminder", title="Call", url="/activities/activities/1/")
    response = client_for(users.owner).get(reverse("notifications:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response.url == "/activities/activities/1/"
    n.refresh_from_db()
    assert n.read_at is not None
    without_link = notify(user=users.owner, kind="x", title="No link")
    response = client_for(users.owner).get(reverse("notifications:notification_open", args=[without_link.pk]))
    assert response.url == reverse("notifications:notification_list")


def test_someone_elses_notification_is_404(users, client_for):
    theirs = notify(user=users.teammate, kind="x", title="theirs")
    client = client_for(users.owner)
    assert client.get(reverse("notifications:notification_open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_htmx_mark_read_returns_the_item_and_the_bell(users, client_for):
    n = notify(user=users.owner, kind="x", title="one")
    notify(user=users.owner, kind="x", title="two")
    response = client_for(users.owner).post(
        reverse("notifications:notification_read", args=[n.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="notification-{n.pk}" class="notification"' in html
    assert 'hx-swap-oob="true"' in html and 'data-unread="1">1</span>' in html


def test_mark_all_read(users, client_for):
    for i in range(3):
        notify(user=users.owner, kind="x", title=f"n{i}")
    theirs = notify(user=users.teammate, kind="x", title="theirs")
    client = client_for(users.owner)
    assert client.get(reverse("notifications:notification_read_all")).status_code == 405
    response = client.post(reverse("notifications:notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=users.owner, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "bell-count" not in bell(client.get(response.url).content.decode())


def test_the_pages_speak_chinese(users, client_for):
    notify(user=users.owner, kind="x", title="提醒")
    client = client_for(users.owner)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("notifications:notification_list")).content.decode()
    assert "通知" in html and "全部标为已读" in html and "标为已读" in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("notifications:notification_list"))
    assert response.status_code == 302 and "login" in response.url


def test_the_error_page_of_a_failing_database_still_renders_the_bell(users, rf, monkeypatch):
    from django.db import DatabaseError
    from django.template import Context, Template

    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("crm.notifications.templatetags.notifications.unread_count", broken)
    request = rf.get("/")
    request.user = users.owner
    html = Template("{% load notifications %}{% notification_bell %}").render(Context({"request": request}))
    assert 'id="notification-bell"' in html and "bell-count" not in html
