"""The generic record services: validation, audit rows, locking, recycle bin."""

import datetime

import pytest
from django.utils import timezone

from crm.audit.models import AuditEntry
from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.core import services
from crm.core.errors import ConflictError, PermissionDeniedError, ValidationFailed

pytestmark = pytest.mark.django_db


def test_create_validates_everything_before_saving(users):
    with pytest.raises(ValidationFailed) as exc:
        services.record_create(model=Contact, actor=users.owner, data={"name": "", "email": "not-an-email"})
    assert set(exc.value.fields) == {"name", "email"}
    assert not Contact.all_objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_create_sets_owner_and_records_tags(users):
    contact = services.record_create(model=Contact, actor=users.owner, data={"name": "王芳"}, tags=["VIP", " VIP ", ""])
    assert contact.owner == users.owner
    entry = AuditEntry.objects.get(action="create", object_id=str(contact.pk))
    assert {"field": "tags", "old": None, "new": ["VIP"]} in entry.changes


def test_update_without_changes_writes_nothing(users):
    contact = ContactFactory(owner=users.owner)
    services.record_update(instance=contact, actor=users.owner, data={"name": contact.name})
    contact.refresh_from_db()
    assert contact.version == 1
    assert not AuditEntry.objects.filter(action="update").exists()


def test_update_bumps_version_and_detects_stale_edits(users):
    contact = ContactFactory(owner=users.owner)
    services.record_update(instance=contact, actor=users.owner, data={"title": "CEO"}, expected_version=1)
    with pytest.raises(ConflictError):
        services.record_update(instance=contact, actor=users.owner, data={"title": "CTO"}, expected_version=1)
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("CEO", 2)


def test_update_records_tag_changes(users):
    contact = ContactFactory(owner=users.owner)
    services.record_update(instance=contact, actor=users.owner, data={}, tags=["A", "B"])
    services.record_update(instance=contact, actor=users.owner, data={}, tags=["B"])
    changes = [e.changes for e in AuditEntry.objects.filter(action="update").order_by("id")]
    assert changes == [
        [{"field": "tags", "old": [], "new": ["A", "B"]}],
        [{"field": "tags", "old": ["A", "B"], "new": ["B"]}],
    ]


def test_services_check_rights_on_every_path(users):
    contact = ContactFactory(owner=users.owner)
    with pytest.raises(PermissionDeniedError):
        services.record_update(instance=contact, actor=users.teammate, data={"title": "x"})
    with pytest.raises(PermissionDeniedError):
        services.record_delete(instance=contact, actor=users.outsider)
    users.owner.role.permissions.filter(codename="add_contact").delete()
    with pytest.raises(PermissionDeniedError):
        services.record_create(model=Contact, actor=users.owner, data={"name": "x"})


def test_purge_only_from_the_recycle_bin(users):
    contact = ContactFactory(owner=users.owner)
    with pytest.raises(ValidationFailed):
        services.record_purge(instance=contact, actor=users.owner)
    services.record_delete(instance=contact, actor=users.owner)
    services.record_purge(instance=contact, actor=users.owner)
    assert not Contact.all_objects.filter(pk=contact.pk).exists()


def test_expired_recycle_bin_entries_are_purged_and_recent_ones_kept(users):
    old, recent, live = (ContactFactory(owner=users.owner) for _ in range(3))
    now = timezone.now()
    Contact.all_objects.filter(pk=old.pk).update(deleted_at=now - datetime.timedelta(days=31))
    Contact.all_objects.filter(pk=recent.pk).update(deleted_at=now - datetime.timedelta(days=29))
    assert services.recycle_bin_purge_expired(days=30) == 1
    assert set(Contact.all_objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    purge = AuditEntry.objects.get(action="purge")
    assert purge.object_id == str(old.pk) and purge.actor is None


def test_database_optimize_refreshes_statistics_inside_a_transaction():
    from django.db import connection

    assert services.database_optimize() == "ANALYZE"  # a test runs inside a transaction
    assert connection.in_atomic_block


@pytest.mark.django_db(transaction=True)
def test_database_optimize_also_vacuums_postgresql_outside_a_transaction():
    from django.db import connection

    expected = "VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE"
    assert services.database_optimize() == expected


def test_links_to_hidden_records_are_refused_on_every_path(users):
    """Not only the form and the API: the service itself refuses a hidden company."""
    from crm.contacts.tests.factories import CompanyFactory

    hidden = CompanyFactory(owner=users.outsider)
    visible = CompanyFactory(owner=users.owner)
    with pytest.raises(ValidationFailed) as exc:
        services.record_create(model=Contact, actor=users.owner, data={"name": "x", "company": hidden})
    assert list(exc.value.fields) == ["company"]
    contact = services.record_create(model=Contact, actor=users.owner, data={"name": "x", "company": visible})
    with pytest.raises(ValidationFailed):
        services.record_update(instance=contact, actor=users.owner, data={"company": hidden})
    contact.refresh_from_db()
    assert contact.company == visible
    # The system (no actor) is not limited by anyone's visibility.
    services.record_update(instance=contact, actor=None, data={"company": hidden})
