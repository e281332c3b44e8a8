"""Segments: dynamic or frozen, shared with the team, always within visibility."""

import pytest
from django.urls import reverse

from crm.contacts.services import contact_update
from crm.contacts.tests.factories import ContactFactory
from crm.core.errors import PermissionDeniedError
from crm.core.segments import segment_create, segment_freeze, segment_records, segment_unfreeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def vips(users):
    mine = [ContactFactory(owner=users.owner, title="VIP buyer") for _ in range(2)]
    teammates = ContactFactory(owner=users.teammate, title="VIP buyer")
    hidden = ContactFactory(owner=users.outsider, title="VIP buyer")
    ContactFactory(owner=users.owner, title="Engineer")
    return {"mine": mine, "teammates": teammates, "hidden": hidden}


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_dynamic_segment_follows_the_data_and_the_viewer(users, vips):
    segment = segment_create(actor=users.owner, list_name="contacts.contact", name="VIPs", query="q=VIP", shared=True)
    expected = {c.pk for c in vips["mine"]} | {vips["teammates"].pk}
    assert ids(segment_records(segment=segment, user=users.owner)) == expected
    newcomer = ContactFactory(owner=users.owner, title="VIP")
    assert newcomer.pk in ids(segment_records(segment=segment, user=users.owner))
    assert vips["hidden"].pk in ids(segment_records(segment=segment, user=users.admin))


def test_frozen_segment_keeps_its_members(users, vips):
    segment = segment_create(actor=users.owner, list_name="contacts.contact", name="VIPs", query="q=VIP")
    assert segment_freeze(segment=segment, actor=users.owner) == 3
    ContactFactory(owner=users.owner, title="VIP late")
    # Through the service, which also refreshes the stored search text.
    contact_update(instance=vips["mine"][0], actor=users.owner, data={"title": "No longer"})
    frozen = ids(segment_records(segment=segment, user=users.owner))
    assert frozen == {c.pk for c in vips["mine"]} | {vips["teammates"].pk}
    segment_unfreeze(segment=segment, actor=users.owner)
    assert vips["mine"][0].pk not in ids(segment_records(segment=segment, user=users.owner))


def test_frozen_members_never_reveal_what_the_viewer_cannot_see(users, vips):
    segment = segment_create(actor=users.admin, list_name="contacts.contact", name="All VIPs", query="q=VIP")
    segment_freeze(segment=segment, actor=users.admin)
    assert vips["hidden"].pk in ids(segment_records(segment=segment, user=users.admin))
    assert vips["hidden"].pk not in ids(segment_records(segment=segment, user=users.owner))


def test_only_the_owner_or_an_admin_freezes(users, vips):
    segment = segment_create(actor=users.owner, list_name="contacts.contact", name="S", query="q=VIP", shared=True)
    with pytest.raises(PermissionDeniedError):
        segment_freeze(segment=segment, actor=users.teammate)
    segment_freeze(segment=segment, actor=users.admin)


def test_list_page_api_and_export_apply_a_segment(users, vips, client_for, api_for):
    segment = segment_create(actor=users.owner, list_name="contacts.contact", name="VIPs", query="q=VIP", shared=True)
    html = client_for(users.teammate).get(reverse("contacts:contact_list"), {"segment": segment.pk}).content.decode()
    assert vips["mine"][0].get_absolute_url() in html and "Engineer" not in html
    api = api_for(users.teammate)
    listed = {r["id"] for r in api.get(reverse("contact-list"), {"segment": segment.pk}).json()["results"]}
    assert listed == {c.pk for c in vips["mine"]} | {vips["teammates"].pk}
    # Someone else's private segment, or a made-up one, matches nothing.
    private = segment_create(actor=users.manager, list_name="contacts.contact", name="P", query="q=VIP")
    assert api.get(reverse("contact-list"), {"segment": private.pk}).json()["results"] == []
    assert api.get(reverse("contact-list"), {"segment": 999999}).json()["results"] == []


def test_segment_api_counts_members_and_freezes(users, vips, api_for):
    api = api_for(users.owner)
    created = api.post(
        reverse("segment-list"), {"name": "VIPs", "record_type": "contacts.contact", "query": "q=VIP"}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api.get(reverse("segment-count", args=[pk])).json() == {"count": 3}
    members = api.get(reverse("segment-members", args=[pk])).json()
    assert {m["id"] for m in members["results"]} == {c.pk for c in vips["mine"]} | {vips["teammates"].pk}
    frozen = api.post(reverse("segment-freeze", args=[pk])).json()
    assert frozen["frozen"] is True and frozen["frozen_at"]
    assert api_for(users.outsider).get(reverse("segment-detail", args=[pk])).status_code == 404
    bad = api.post(reverse("segment-list"), {"name": "x", "record_type": "nope.nope"}, format="json")
    assert bad.status_code == 400 and "record_type" in bad.json()["error"]["fields"]


def test_freeze_from_the_list_page(users, vips, client_for):
    segment = segment_create(actor=users.owner, list_name="contacts.contact", name="VIPs", query="q=VIP")
    client = client_for(users.owner)
    assert client.post(reverse("core:saved_filter_freeze", args=[segment.pk])).status_code == 302
    segment.refresh_from_db()
    assert segment.is_frozen and segment.members.count() == 3
    client.post(reverse("core:saved_filter_freeze", args=[segment.pk]), {"unfreeze": "1"})
    segment.refresh_from_db()
    assert not segment.is_frozen and segment.members.count() == 0
    assert client_for(users.outsider).post(reverse("core:saved_filter_freeze", args=[segment.pk])).status_code == 404
