import pytest

from crm.notifications.demo import seed_notifications
from crm.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_each_user_gets_one_welcome_in_their_language(users):
    users.owner.language = "zh-hans"
    users.owner.save()
    users.outsider.is_active = False
    users.outsider.save()
    seen = []
    assert seed_notifications(progress=lambda what, done, total: seen.append((what, done, total))) == 4
    assert seed_notifications() == 0  # again: nothing new
    assert Notification.objects.get(user=users.owner).title == "欢迎使用 CRM"
    assert Notification.objects.get(user=users.teammate).title == "Welcome to the CRM"
    assert not Notification.objects.filter(user=users.outsider).exists()
    assert seen[-1] == ("notifications", 4, 4)
    assert seed_notifications(user_ids=[users.outsider.pk]) == 0
