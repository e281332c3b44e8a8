"""The generic list page: sort, filter, columns, saved filters, paging, bulk actions, export."""

import csv
import io

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.core import pagination
from crm.core.models import SavedFilter

pytestmark = pytest.mark.django_db
LIST = "contacts:contact_list"


def names_in_order(html, names):
    return sorted(names, key=html.index)


def test_sort_by_column_both_ways_and_ignore_unknown(users, client_for):
    for name in ["Bravo", "Alpha", "Charlie"]:
        ContactFactory(owner=users.owner, name=name)
    client = client_for(users.owner)
    up = client.get(reverse(LIST), {"sort": "name"}).content.decode()
    down = client.get(reverse(LIST), {"sort": "-name"}).content.decode()
    assert names_in_order(up, ["Alpha", "Bravo", "Charlie"]) == ["Alpha", "Bravo", "Charlie"]
    assert names_in_order(down, ["Alpha", "Bravo", "Charlie"]) == ["Charlie", "Bravo", "Alpha"]
    assert client.get(reverse(LIST), {"sort": "password; drop"}).status_code == 200


def test_search_filter_and_htmx_fragment(users, client_for):
    ContactFactory(owner=users.owner, name="张伟", email="zhang.wei@163.com")
    ContactFactory(owner=users.owner, name="李娜", email="li.na@qq.com")
    client = client_for(users.owner)
    page = client.get(reverse(LIST), {"q": "163.com"}).content.decode()
    assert "张伟" in page and "李娜" not in page and "<html" in page
    fragment = client.get(reverse(LIST), {"q": "li.na"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-results")
    body = fragment.content.decode()
    assert "<html" not in body and "李娜" in body and "张伟" not in body


def test_count_is_capped_and_paging_stays_in_range(users, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 30)
    for _ in range(40):
        ContactFactory(owner=users.owner)
    client = client_for(users.owner)
    html = client.get(reverse(LIST), {"per_page": 25}).content.decode()
    assert "of 30+" in html
    last = client.get(reverse(LIST), {"per_page": 25, "page": 999})
    assert last.status_code == 200
    assert client.get(reverse(LIST), {"page": "x", "per_page": "y"}).status_code == 200


def test_chosen_columns_are_remembered(users, client_for):
    client = client_for(users.owner)
    response = client.post(reverse("contacts:contact_columns"), {"columns": ["name", "title", "bogus"]})
    assert response.status_code == 302
    users.owner.refresh_from_db()
    assert users.owner.preferences["columns:contacts.contact"] == ["name", "title"]
    html = client.get(reverse(LIST)).content.decode()
    assert "Job title" in html and ">E-mail<" not in html


def test_saved_filters_private_and_shared_with_the_team(users, client_for):
    create = reverse("core:saved_filter_create")
    client_for(users.owner).post(create, {"name": "Mine", "list_name": "contacts.contact", "query": "q=a"})
    client_for(users.owner).post(
        create, {"name": "Team", "list_name": "contacts.contact", "query": "q=b", "shared": "on"}
    )
    assert client_for(users.owner).post(create, {"name": "x", "list_name": "nope.nope"}).status_code == 302
    assert SavedFilter.objects.count() == 2
    teammate_page = client_for(users.teammate).get(reverse(LIST)).content.decode()
    outsider_page = client_for(users.outsider).get(reverse(LIST)).content.decode()
    shared = SavedFilter.objects.get(name="Team")
    private = SavedFilter.objects.get(name="Mine")
    assert f"?segment={shared.pk}" in teammate_page and f"?segment={private.pk}" not in teammate_page
    assert f"?segment={shared.pk}" not in outsider_page
    assert client_for(users.teammate).post(reverse("core:saved_filter_delete", args=[shared.pk])).status_code == 404
    assert client_for(users.owner).post(reverse("core:saved_filter_delete", args=[shared.pk])).status_code == 302


def test_bulk_assign_tag_and_delete_skip_what_the_user_may_not_change(users, client_for):
    mine = [ContactFactory(owner=users.owner) for _ in range(3)]
    teammates = ContactFactory(owner=users.teammate)
    hidden = ContactFactory(owner=users.outsider)
    client = client_for(users.owner)
    ids = [c.pk for c in [*mine, teammates, hidden]]
    client.post(reverse("contacts:contact_bulk"), {"action": "tag", "tag": "展会", "ids": ids})
    assert Contact.objects.filter(tags__name="展会").count() == 3
    client.post(reverse("contacts:contact_bulk"), {"action": "owner", "owner": users.teammate.pk, "ids": [mine[0].pk]})
    mine[0].refresh_from_db()
    assert mine[0].owner == users.teammate
    client.post(reverse("contacts:contact_bulk"), {"action": "delete", "ids": ids})
    assert set(Contact.objects.values_list("pk", flat=True)) == {mine[0].pk, teammates.pk, hidden.pk}
    assert AuditEntry.objects.filter(action="delete").count() == 2


def test_bulk_select_all_applies_to_the_filtered_list(users, client_for):
    for name in ["Keep 1", "Drop 1", "Drop 2"]:
        ContactFactory(owner=users.owner, name=name)
    url = reverse("contacts:contact_bulk") + "?q=Drop"
    client_for(users.owner).post(url, {"action": "delete", "select_all": "1"})
    assert list(Contact.objects.values_list("name", flat=True)) == ["Keep 1"]


def test_bulk_without_action_or_owner_changes_nothing(users, client_for):
    contact = ContactFactory(owner=users.owner)
    client = client_for(users.owner)
    client.post(reverse("contacts:contact_bulk"), {"action": "", "ids": [contact.pk]})
    client.post(reverse("contacts:contact_bulk"), {"action": "owner", "owner": "999", "ids": [contact.pk]})
    contact.refresh_from_db()
    assert contact.owner == users.owner and contact.version == 1


def test_export_neutralises_formulas_and_keeps_chinese(users, client_for):
    ContactFactory(owner=users.owner, name='=HYPERLINK("http://x")', title="+1 sales")
    ContactFactory(owner=users.owner, name="王芳", title="@home")
    response = client_for(users.manager).get(reverse("contacts:contact_export"))
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = {cell for row in rows for cell in row}
    assert '\'=HYPERLINK("http://x")' in cells and "'+1 sales" in cells and "'@home" in cells
    assert "王芳" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_paging_goes_past_a_capped_count(users, client_for, api_for, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    for _ in range(30):
        ContactFactory(owner=users.owner)
    html = client_for(users.owner).get(reverse(LIST), {"per_page": 25, "page": 1}).content.decode()
    assert "page=2" in html
    second = client_for(users.owner).get(reverse(LIST), {"per_page": 25, "page": 2})
    assert len(second.context["page"].object_list) == 5 and not second.context["page"].has_next
    api = api_for(users.owner)
    first = api.get(reverse("contact-list"), {"page_size": 10}).json()
    assert first["count"] == 10 and first["count_capped"] is True and first["next"]
    third = api.get(reverse("contact-list"), {"page_size": 10, "page": 3}).json()
    assert len(third["results"]) == 10 and third["next"]
    fourth = api.get(reverse("contact-list"), {"page_size": 10, "page": 4}).json()
    assert fourth["results"] == [] and fourth["next"] is None


def test_handing_a_record_to_someone_out_of_reach_answers_normally(users, api_for):
    contact = ContactFactory(owner=users.owner)
    response = api_for(users.owner).patch(
        reverse("contact-detail", args=[contact.pk]), {"owner": users.outsider.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["owner"] == users.outsider.pk
    assert api_for(users.owner).get(reverse("contact-detail", args=[contact.pk])).status_code == 404
