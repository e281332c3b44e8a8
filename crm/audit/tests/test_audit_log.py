"""The audit log is append-only, searchable by administrators, shown per record."""

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.audit.services import audit_record
from crm.contacts.tests.factories import ContactFactory
from crm.core.context import bind_context

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_changed_or_deleted(users):
    entry = audit_record(action="create", actor=users.owner, object_repr="x")
    entry.object_repr = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "x"


def test_entries_carry_request_id_and_ip(users):
    with bind_context(request_id="req-1", ip="10.1.2.3"):
        entry = audit_record(action="export", actor=users.owner, object_repr="contacts (3)")
    assert (entry.request_id, entry.ip, entry.actor_name) == ("req-1", "10.1.2.3", "owner")


def test_log_page_is_for_administrators_and_searchable(users, client_for, api_for):
    contact = ContactFactory(owner=users.owner, name="Searchable Person")
    api_for(users.owner).patch(reverse("contact-detail", args=[contact.pk]), {"title": "CTO"}, format="json")
    entry = AuditEntry.objects.get(action="update")
    assert client_for(users.manager).get(reverse("audit:log")).status_code == 403
    admin = client_for(users.admin)
    assert "Searchable Person" in admin.get(reverse("audit:log"), {"q": "Searchable"}).content.decode()
    assert "Searchable Person" in admin.get(reverse("audit:log"), {"q": entry.request_id}).content.decode()
    assert "Searchable Person" not in admin.get(reverse("audit:log"), {"action": "delete"}).content.decode()
    assert admin.get(reverse("audit:log"), {"action": "bogus", "page": "x"}).status_code == 200


def test_history_panel_and_api_show_the_record_trail(users, client_for, api_for):
    contact = ContactFactory(owner=users.owner, title="Engineer")
    api_for(users.owner).patch(reverse("contact-detail", args=[contact.pk]), {"title": "CTO"}, format="json")
    panel = client_for(users.teammate).get(reverse("contacts:contact_history", args=[contact.pk])).content.decode()
    assert "Engineer" in panel and "CTO" in panel
    assert client_for(users.outsider).get(reverse("contacts:contact_history", args=[contact.pk])).status_code == 404
    history = api_for(users.owner).get(reverse("contact-history", args=[contact.pk])).json()
    assert history[0]["changes"] == [{"field": "title", "old": "Engineer", "new": "CTO"}]
