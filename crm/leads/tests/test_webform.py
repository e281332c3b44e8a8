"""Web-to-lead: the hosted form, only its own fields, honeypot, rate limit, duplicates."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client, override_settings
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import ContactFactory
from crm.core.testing.factories import TeamFactory, UserFactory
from crm.leads.models import AssignmentRule, Lead, WebForm
from crm.leads.services import webform_create

from .factories import LeadFactory, WebFormFactory

pytestmark = pytest.mark.django_db


def post(web_form, data, **extra):
    return Client().post(reverse("leads:public_form", args=[web_form.key]), data, **extra)


def test_a_submission_creates_a_lead_owned_as_the_form_says(users):
    form = WebFormFactory(owner=users.teammate, campaign="Expo 2026", tag="展会")
    response = post(form, {"name": "刘洋", "email": "LIU@example.com", "phone": "13800001111", "company_name": "星河"})
    assert response.status_code == 200
    assert "Thanks, we will call you." in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.phone) == ("刘洋", "liu@example.com", "+8613800001111")
    assert (lead.owner, lead.source, lead.campaign, lead.status, lead.web_form) == (
        users.teammate,
        "web_form",
        "Expo 2026",
        "new",
        form,
    )
    assert [t.name for t in lead.tags.all()] == ["展会"]
    assert "liuyang" in lead.search_text
    assert AuditEntry.objects.filter(action="create", object_id=str(lead.pk), actor=None).exists()


def test_only_the_forms_own_fields_are_accepted(users):
    form = WebFormFactory(owner=users.teammate, fields=[{"name": "name", "required": True}])
    post(
        form,
        {
            "name": "Eve",
            "email": "eve@example.com",
            "owner": users.admin.pk,
            "owner_id": users.admin.pk,
            "status": "qualified",
            "source": "referral",
            "campaign": "forged",
            "score": 100,
            "duplicate_of": 1,
        },
    )
    lead = Lead.objects.get()
    assert lead.email == "" and lead.owner == users.teammate
    assert (lead.status, lead.source, lead.campaign, lead.score) == ("new", "web_form", "", 0)


def test_round_robin_over_the_forms_team_then_rules():
    team = TeamFactory(name="Inbound")
    a, b = UserFactory(username="in_a", team=team), UserFactory(username="in_b", team=team)
    form = WebFormFactory(team=team)
    for i in range(3):
        post(form, {"name": f"V{i}", "email": f"v{i}@example.com"})
    assert [lead.owner for lead in Lead.objects.order_by("pk")] == [a, b, a]
    ruled = WebFormFactory()
    AssignmentRule.objects.create(name="Web", source="web_form", user=b)
    post(ruled, {"name": "R", "email": "r@example.com"})
    assert Lead.objects.order_by("-pk").first().owner == b


def test_invalid_input_is_shown_on_the_form_and_nothing_is_saved(users):
    form = WebFormFactory(owner=users.owner)
    response = post(form, {"name": "", "email": "nope", "phone": "12"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    html = response.content.decode()
    assert "这个字段是必填项" in html or "必填" in html
    assert not Lead.objects.exists()
    body = post(form, {"name": "A", "email": "nope"}, HTTP_ACCEPT="application/json").json()
    assert body["error"]["code"] == "validation_failed" and "email" in body["error"]["fields"]
    too_long = post(form, {"name": "x" * 201})
    assert too_long.status_code == 400 and not Lead.objects.exists()


def test_honeypot_pretends_success_and_creates_nothing(users):
    form = WebFormFactory(owner=users.owner)
    response = post(form, {"name": "Bot", "email": "bot@example.com", "website_url": "http://spam"})
    assert response.status_code == 200 and "Thanks" in response.content.decode()
    assert not Lead.objects.exists()


@override_settings(WEB_FORM_RATE_LIMIT="3/min")
def test_per_ip_rate_limit_answers_429_translated(users):
    form = WebFormFactory(owner=users.owner)
    for i in range(3):
        assert post(form, {"name": f"N{i}"}, REMOTE_ADDR="203.0.113.9").status_code == 200
    blocked = post(form, {"name": "N4"}, REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "提交" in blocked.content.decode()
    assert post(form, {"name": "Other"}, REMOTE_ADDR="203.0.113.10").status_code == 200
    assert Lead.objects.count() == 4


def test_duplicates_are_linked_to_the_open_lead_and_known_contacts_matched(users, client_for):
    form = WebFormFactory(owner=users.teammate)
    first = LeadFactory(owner=users.owner, email="amy@example.com", phone="+8613800002222")
    contact = ContactFactory(owner=users.owner, email="amy@example.com")
    post(form, {"name": "Amy again", "phone": "138 0000 2222"})
    post(form, {"name": "Amy", "email": "AMY@example.com"})
    dups = list(Lead.objects.filter(duplicate_of=first).order_by("pk"))
    assert len(dups) == 2
    assert all(d.owner == users.owner for d in dups)  # the first lead's owner handles them
    assert dups[1].matched_contact == contact
    # The first lead shows them: a panel and notes on its timeline.
    client = client_for(users.owner)
    html = client.get(first.get_absolute_url()).content.decode()
    assert dups[0].get_absolute_url() in html
    history = client.get(reverse("leads:lead_history", args=[first.pk])).content.decode()
    assert "Submitted again through the web form" in history
    # A closed lead is not a duplicate target.
    Lead.objects.filter(pk=first.pk).update(status="disqualified", disqualify_reason="x")
    post(form, {"name": "Amy third", "email": "amy@example.com"})
    assert Lead.objects.order_by("-pk").first().duplicate_of is None


def test_hosted_page_languages_and_inactive_forms(users):
    form = WebFormFactory(owner=users.owner, title_en="Talk to us", title_zh="联系我们")
    url = reverse("leads:public_form", args=[form.key])
    html = Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "联系我们" in html and "您的姓名" in html and 'lang="zh-Hans"' in html
    html = Client().get(url + "?lang=en", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Talk to us" in html and "Your name" in html
    assert 'name="website_url"' in html
    WebForm.objects.filter(pk=form.pk).update(active=False)
    assert Client().get(url).status_code == 404
    assert Client().post(url, {"name": "Late"}).status_code == 404
    # An administrator previews the form before switching it on; a rep does not.
    admin = Client()
    admin.force_login(users.admin)
    preview = admin.get(url)
    assert preview.status_code == 200 and "Preview: this form is not active" in preview.content.decode()
    assert admin.post(url, {"name": "Admin"}).status_code == 404
    rep = Client()
    rep.force_login(users.owner)
    assert rep.get(url).status_code == 404
    assert not Lead.objects.exists()
    assert Client().get(reverse("leads:public_form", args=["nope"])).status_code == 404


def test_admin_builds_a_form_and_gets_the_snippet(users, client_for, api_for):
    client = client_for(users.admin)
    data = {
        "name": "Trade fair",
        "title_en": "Meet us",
        "title_zh": "展会咨询",
        "thank_you_en": "See you!",
        "thank_you_zh": "展会见！",
        "source": "event",
        "campaign": "Fair",
        "active": "on",
        "f_email_on": "on",
        "f_email_required": "on",
        "f_email_label_en": "Work e-mail",
        "f_email_label_zh": "工作邮箱",
        "f_phone_on": "on",
    }
    response = client.post(reverse("leads:webform_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    form = WebForm.objects.get(name="Trade fair")
    assert [f["name"] for f in form.fields] == ["name", "email", "phone"]
    assert form.fields[1] == {"name": "email", "label_en": "Work e-mail", "label_zh": "工作邮箱", "required": True}
    page = client.get(reverse("leads:webform_edit", args=[form.pk])).content.decode()
    hosted = f"/leads/f/{form.key}/"
    assert hosted in page and "&lt;form method=&quot;post&quot;" in page and "website_url" in page
    assert AuditEntry.objects.filter(action="create", object_id=str(form.pk)).exists()
    assert client_for(users.manager).get(reverse("leads:webform_list")).status_code == 403

    api = api_for(users.admin)
    created = api.post(
        reverse("webform-list"),
        {"name": "API form", "form_fields": [{"name": "name"}, {"name": "region", "label_zh": "地区"}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["hosted_url"].endswith(f"/leads/f/{created.json()['key']}/")
    assert created.json()["form_fields"][1] == {
        "name": "region",
        "label_en": "Region",
        "label_zh": "地区",
        "required": False,
    }
    forged = api.post(reverse("webform-list"), {"name": "Bad", "form_fields": [{"name": "owner"}]}, format="json")
    assert forged.status_code == 400
    assert api_for(users.owner).get(reverse("webform-list")).status_code == 403


def test_a_form_must_ask_for_the_name(users):
    from crm.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        webform_create(actor=users.admin, data={"name": "x", "fields": [{"name": "email"}]})
    assert ContentType.objects.get_for_model(WebForm)  # the type is known to the audit log


def test_the_submission_is_audited_and_stays_lean(users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team = TeamFactory(name="Inbound")
    UserFactory(username="in_a", team=team)
    form = WebFormFactory(team=team, tag="官网")
    post(form, {"name": "Warm", "email": "warm@example.com"})  # content types and tag cached
    with CaptureQueriesContext(connection) as queries:
        response = post(form, {"name": "Ann", "email": "ann@example.com", "phone": "13800005555"})
    assert response.status_code == 200
    # The form, duplicate and contact checks, round-robin (lock, members, update), the
    # lead, its tag, the audit row: a fixed number whatever the table sizes.
    assert len(queries) <= 14, [q["sql"] for q in queries.captured_queries]
    lead = Lead.objects.get(email="ann@example.com")
    entry = AuditEntry.objects.get(action="create", object_id=str(lead.pk), content_type__model="lead")
    fields = {c["field"] for c in entry.changes}
    assert {"name", "email", "phone", "owner", "web_form", "source", "tags"} <= fields
    assert "search_text" not in fields
    assert "ann@example.com" in lead.search_text and [t.name for t in lead.tags.all()] == ["官网"]


def test_a_known_contact_is_matched_by_e_mail_or_by_phone(users):
    form = WebFormFactory(owner=users.teammate)
    by_phone = ContactFactory(owner=users.owner, email="old@example.com", phone="+8613700007777")
    post(form, {"name": "Phone only", "phone": "137-0000-7777"})
    assert Lead.objects.get(name="Phone only").matched_contact == by_phone
    post(form, {"name": "Mail", "email": "OLD@example.com"})
    assert Lead.objects.get(name="Mail").matched_contact == by_phone
    post(form, {"name": "Stranger", "email": "new@example.com", "phone": "13700008888"})
    assert Lead.objects.get(name="Stranger").matched_contact is None
