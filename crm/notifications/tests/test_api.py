"""/api/v1/notifications/: your own notifications only."""

import pytest
from django.urls import reverse

from crm.notifications.models import Notification
from crm.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_list_is_mine_and_can_be_only_unread(users, api_for):
    a = notify(user=users.owner, kind="reminder", title="A", url="/x/")
    b = notify(user=users.owner, kind="approval", title="B")
    notify(user=users.teammate, kind="x", title="theirs")
    Notification.objects.filter(pk=a.pk).update(read_at=a.created_at)
    api = api_for(users.owner)
    body = api.get(reverse("notification-list")).json()
    assert [row["title"] for row in body["results"]] == ["B", "A"]
    assert body["results"][1]["unread"] is False and body["results"][1]["url"] == "/x/"
    unread = api.get(reverse("notification-list"), {"unread": "1"}).json()
    assert [row["id"] for row in unread["results"]] == [b.pk]
    assert api.get(reverse("notification-detail", args=[b.pk])).json()["kind"] == "approval"


def test_read_one_read_all_and_count(users, api_for):
    mine = [notify(user=users.owner, kind="x", title=f"n{i}") for i in range(3)]
    theirs = notify(user=users.teammate, kind="x", title="theirs")
    api = api_for(users.owner)
    assert api.get(reverse("notification-unread-count")).json() == {"unread": 3}
    response = api.post(reverse("notification-read", args=[mine[0].pk]))
    assert response.status_code == 200 and response.json()["unread"] is False
    assert api.get(reverse("notification-unread-count")).json() == {"unread": 2}
    assert api.post(reverse("notification-read-all")).json() == {"marked": 2}
    assert api.get(reverse("notification-unread-count")).json() == {"unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_is_404_with_the_error_shape(users, api_for):
    theirs = notify(user=users.teammate, kind="x", title="theirs")
    api = api_for(users.owner)
    for response in (
        api.get(reverse("notification-detail", args=[theirs.pk])),
        api.post(reverse("notification-read", args=[theirs.pk])),
        api.post(reverse("notification-read", args=[987654])),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_gets_401_or_403(client):
    assert client.get(reverse("notification-list")).status_code in (401, 403)
