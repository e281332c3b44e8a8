"""Global search, dashboard, navigation by role, language switch, request ids."""

import pytest
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_global_search_finds_every_type_the_user_may_see(users, client_for):
    ContactFactory(owner=users.owner, name="华信 Contact")
    CompanyFactory(owner=users.owner, name="华信科技有限公司")
    ContactFactory(owner=users.outsider, name="华信 Secret")
    html = client_for(users.owner).get(reverse("core:search"), {"q": "华信"}).content.decode()
    assert "华信 Contact" in html and "华信科技有限公司" in html and "华信 Secret" not in html


def test_search_dropdown_is_a_fragment(users, client_for):
    ContactFactory(owner=users.owner, name="Dropdown Person")
    response = client_for(users.owner).get(reverse("core:search"), {"q": "Dropdown"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "Dropdown Person" in body


def test_dashboard_counts_only_visible_records(users, client_for):
    ContactFactory.create_batch(3, owner=users.owner)
    ContactFactory.create_batch(5, owner=users.outsider)
    response = client_for(users.owner).get(reverse("core:dashboard"))
    cards = {str(card["label"]): card["count"] for card in response.context["cards"]}
    assert cards["contacts"] == 3


def test_sidebar_shows_admin_pages_to_administrators_only(users, client_for):
    admin_html = client_for(users.admin).get(reverse("core:dashboard")).content.decode()
    rep_html = client_for(users.owner).get(reverse("core:dashboard")).content.decode()
    for url in [reverse("accounts:user_list"), reverse("audit:log"), reverse("core:customfield_list")]:
        assert url in admin_html
        assert url not in rep_html


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_language_switch_is_kept_in_the_profile(users, client_for):
    client = client_for(users.owner)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    users.owner.refresh_from_db()
    assert users.owner.language == "zh-hans"
    html = client.get(reverse("core:dashboard")).content.decode()
    assert 'lang="zh-Hans"' in html


def test_request_id_is_kept_when_well_formed_and_replaced_otherwise(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_unknown_pages_answer_404_in_html_and_json(users, client_for):
    client = client_for(users.owner)
    assert client.get("/no-such-page/").status_code == 404
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404


def test_weekly_chart_counts_visible_records_per_week(users):
    import datetime

    from django.utils import timezone

    from crm.contacts.models import Contact
    from crm.core.views.shell import weekly_new_records

    now = timezone.now()
    ContactFactory.create_batch(2, owner=users.owner)
    old = ContactFactory(owner=users.owner)
    Contact.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(weeks=3))
    ContactFactory.create_batch(4, owner=users.outsider)
    chart = weekly_new_records(users.owner, weeks=12)
    contacts = next(s["data"] for s in chart["series"] if s["name"] == "Contacts")
    assert len(chart["weeks"]) == 12 and contacts[-1] == 2 and sum(contacts) == 3
    assert contacts[-4] == 1 or contacts[-5] == 1  # three weeks back, whatever the weekday
