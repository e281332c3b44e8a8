import pytest

from crm.emails.demo import seed_email_templates
from crm.emails.merge import unknown_fields
from crm.emails.models import EmailTemplate

pytestmark = pytest.mark.django_db


def test_demo_templates_two_per_language_valid_and_idempotent(users):
    assert seed_email_templates(owner=users.admin) == 4
    assert seed_email_templates(owner=users.admin) == 0
    templates = list(EmailTemplate.objects.all())
    assert sorted(t.language for t in templates) == ["en", "en", "zh-hans", "zh-hans"]
    for t in templates:
        assert t.shared and t.active and t.owner == users.admin
        assert unknown_fields(t.subject) == [] and unknown_fields(t.body) == []
        assert "\n" in t.body
