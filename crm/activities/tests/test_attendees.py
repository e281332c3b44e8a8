"""Meeting attendees: users and contacts, checked against what the actor may see, audited."""

import pytest
from django.urls import reverse

from crm.activities.services import activity_create, activity_update
from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import ConflictError, ValidationFailed

pytestmark = pytest.mark.django_db


def meeting_data(company, **extra):
    return {"kind": "meeting", "subject": "方案评审 Review", "company": company, **extra}


def test_attendees_are_set_by_ids_or_objects_and_audited(users):
    company = CompanyFactory(owner=users.owner)
    wang, li = ContactFactory(owner=users.owner, company=company), ContactFactory(owner=users.teammate)
    m = activity_create(
        actor=users.owner,
        data=meeting_data(company, attendee_users=[users.teammate, users.manager.pk], attendee_contacts=[wang.pk]),
    )
    assert set(m.attendee_users.all()) == {users.teammate, users.manager}
    assert list(m.attendee_contacts.all()) == [wang]
    assert m in users.teammate.meetings_attending.all() and m in wang.meetings_attending.all()
    version = m.version
    m = activity_update(instance=m, actor=users.owner, data={"attendee_contacts": [wang, li]})
    assert set(m.attendee_contacts.all()) == {wang, li}
    assert m.version == version + 1  # a change of attendees alone is a new version
    entry = AuditEntry.objects.filter(object_id=str(m.pk), action="update").latest("id")
    assert {"field": "attendee_contacts", "old": [wang.pk], "new": sorted([wang.pk, li.pk])} in entry.changes
    created = AuditEntry.objects.filter(object_id=str(m.pk)).order_by("id")
    assert any(
        c["field"] == "attendee_users" and c["new"] == sorted([users.teammate.pk, users.manager.pk])
        for e in created
        for c in e.changes
    )
    # The same list again changes nothing: no new version, no audit row.
    rows = AuditEntry.objects.count()
    m = activity_update(instance=m, actor=users.owner, data={"attendee_contacts": [li.pk, wang.pk]})
    assert m.version == version + 1 and AuditEntry.objects.count() == rows
    with pytest.raises(ConflictError):
        activity_update(instance=m, actor=users.owner, data={"attendee_users": []}, expected_version=version)


def test_hidden_forged_and_malformed_ids_are_field_errors(users):
    company = CompanyFactory(owner=users.owner)
    hidden = ContactFactory(owner=users.outsider)
    for field, value in [
        ("attendee_contacts", [hidden.pk]),
        ("attendee_contacts", [987654]),
        ("attendee_contacts", "12"),
        ("attendee_contacts", [True]),
        ("attendee_users", [987654]),
        ("attendee_users", [{"id": 1}]),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            activity_create(actor=users.owner, data=meeting_data(company, **{field: value}))
        assert list(exc.value.fields) == [field], (field, value)
    # A hidden contact and a missing one get the same answer: existence does not leak.
    messages = []
    for pk in (hidden.pk, 987654):
        with pytest.raises(ValidationFailed) as exc:
            activity_create(actor=users.owner, data=meeting_data(company, attendee_contacts=[pk]))
        messages.append(exc.value.fields["attendee_contacts"][0].replace(str(pk), "#"))
    assert messages[0] == messages[1]
    inactive = users.teammate
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ValidationFailed):
        activity_create(actor=users.owner, data=meeting_data(company, attendee_users=[inactive.pk]))


def test_attendees_are_for_meetings_only(users):
    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner)
    call = activity_create(
        actor=users.owner,
        data={"kind": "call", "subject": "c", "company": company, "attendee_contacts": [contact.pk]},
    )
    assert not call.attendee_contacts.exists()
    m = activity_create(actor=users.owner, data=meeting_data(company, attendee_users=[users.teammate.pk]))
    m = activity_update(instance=m, actor=users.owner, data={"kind": "call"})
    assert not m.attendee_users.exists()


def test_the_api_reads_and_writes_id_lists(users, api_for):
    company = CompanyFactory(owner=users.owner)
    wang = ContactFactory(owner=users.owner)
    hidden = ContactFactory(owner=users.outsider)
    api = api_for(users.owner)
    response = api.post(
        reverse("activity-list"),
        {
            "kind": "meeting",
            "subject": "Kick-off",
            "company": company.pk,
            "attendee_users": [users.teammate.pk],
            "attendee_contacts": [wang.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["attendee_users"] == [users.teammate.pk] and body["attendee_contacts"] == [wang.pk]
    url = reverse("activity-detail", args=[body["id"]])
    response = api.patch(url, {"attendee_contacts": [wang.pk, hidden.pk]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["attendee_contacts"]
    response = api.patch(url, {"attendee_contacts": ["x"]}, format="json")
    assert response.status_code == 400
    assert all(key.startswith("attendee_contacts") for key in response.json()["error"]["fields"])
    assert api.get(url).json()["attendee_contacts"] == [wang.pk]
    listed = api.get(reverse("activity-list"), {"kind": "meeting"}).json()["results"]
    assert listed[0]["attendee_users"] == [users.teammate.pk]
