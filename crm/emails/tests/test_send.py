"""Sending from the CRM: checks, merge fields, headers, logging as an activity; a mail
server failure logs nothing and keeps the user's text."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from crm.activities.models import Activity
from crm.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from crm.deals.models import DealContact
from crm.deals.tests.factories import DealFactory
from crm.emails.models import EmailMessage, EmailTemplate
from crm.emails.services import EmailNotSent, email_send, template_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def zh_template(users):
    return template_create(
        actor=users.owner,
        data={
            "name": "问候",
            "language": "zh-hans",
            "subject": "{{ company.name }}：{{ contact.last_name }}经理您好",
            "body": "{{ contact.last_name }}经理：\n\n您好！\n\n{{ user.name }}\n{{ user.phone }}",
            "shared": True,
        },
    )


def test_send_renders_sends_and_logs(users, people, zh_template, settings):
    settings.DEFAULT_FROM_EMAIL = "CRM <crm@crm.example.com>"
    wang = people["wang"]
    deal = DealFactory(owner=users.owner, company=wang.company)
    message = email_send(
        actor=users.owner,
        contact=wang,
        subject=zh_template.subject,
        body=zh_template.body,
        deal=deal,
        template=zh_template,
        attachments=[("报价单.pdf", b"%PDF-1.4", "application/pdf")],
        cc=["boss@crm.example.com"],
    )
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "华信科技有限公司：王经理您好"
    assert sent.body == "王经理：\n\n您好！\n\nRep Owner\n+86 138 0000 0000"
    assert sent.from_email == "Rep Owner <crm@crm.example.com>"
    assert sent.to == ["王芳 <wangfang@huaxin.example.cn>"]
    assert sent.cc == ["boss@crm.example.com"]
    assert sent.reply_to == ["Rep Owner <owner@crm.example.com>"]
    assert sent.attachments[0][0] == "报价单.pdf"
    headers = sent.message()
    assert headers["Message-ID"] == message.message_id and message.message_id.endswith("@crm.example.com>")
    activity = message.activity
    assert activity.kind == "email" and activity.contact == wang and activity.company == wang.company
    assert activity.deal == deal and activity.owner == users.owner
    # The activity's subject follows the CRM's text rules (half-width punctuation).
    assert activity.subject == "华信科技有限公司:王经理您好" and activity.body == sent.body
    assert message.direction == "out" and message.template == zh_template
    assert message.attachment_names == ["报价单.pdf"] and list(message.contacts.all()) == [wang]
    wang.refresh_from_db()
    assert wang.last_activity_at == activity.occurred_at


def test_template_fills_what_is_left_out(users, people, zh_template):
    message = email_send(actor=users.owner, contact=people["wang"], subject="", body="", template=zh_template)
    assert message.activity.subject == "华信科技有限公司:王经理您好"


def test_contact_out_of_sight_is_not_found(users, people):
    with pytest.raises(NotFoundError):
        email_send(actor=users.owner, contact=people["hidden"], subject="Hi", body="Hello")
    with pytest.raises(NotFoundError):
        email_send(actor=users.owner, contact=people["hidden"].pk, subject="Hi", body="Hello")
    assert not mail.outbox and not EmailMessage.objects.exists()


def test_refusals(users, people):
    with pytest.raises(ValidationFailed) as exc:
        email_send(actor=users.owner, contact=people["no_email"], subject="", body="{{ contact.salary }}")
    assert set(exc.value.fields) == {"contact", "subject", "body"}
    with pytest.raises(ValidationFailed) as exc:
        email_send(actor=users.owner, contact=people["alice"], subject="Hi", body="x", cc=["not an address"])
    assert "cc" in exc.value.fields
    big = [("big.bin", b"x" * (20 * 1024 * 1024 + 1), "application/octet-stream")]
    with pytest.raises(ValidationFailed) as exc:
        email_send(actor=users.owner, contact=people["alice"], subject="Hi", body="x", attachments=big)
    assert "attachments" in exc.value.fields
    assert not mail.outbox and not Activity.objects.exists()


def test_no_permission_to_log_activities(users, people):
    from crm.core.testing.factories import UserFactory

    nobody = UserFactory(username="norole", role=None)
    with pytest.raises(PermissionDeniedError):
        email_send(actor=nobody, contact=people["alice"], subject="Hi", body="x")


def test_mail_server_failure_logs_nothing(users, people):
    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=smtplib.SMTPException),
        pytest.raises(EmailNotSent),
    ):
        email_send(actor=users.owner, contact=people["alice"], subject="Hi", body="Hello")
    assert not Activity.objects.exists() and not EmailMessage.objects.exists()


def test_compose_page_preselects_the_contacts_language(users, people, zh_template, client_for):
    template_create(
        actor=users.owner,
        data={"name": "Hello", "language": "en", "subject": "Hello {{ contact.first_name }}", "body": "Hi"},
    )
    client = client_for(users.owner)
    html = client.get(reverse("emails:compose"), {"contact": people["wang"].pk}).content.decode()
    assert f'<option value="{zh_template.pk}" selected>' in html
    html = client.get(reverse("emails:compose"), {"contact": people["alice"].pk}).content.decode()
    english = EmailTemplate.objects.get(language="en")
    assert f'<option value="{english.pk}" selected>' in html
    assert client.get(reverse("emails:compose"), {"contact": people["hidden"].pk}).status_code == 404
    assert client.get(reverse("emails:compose"), {"contact": "x"}).status_code == 404


def test_compose_preview_then_send(users, people, zh_template, client_for):
    client = client_for(users.owner)
    data = {
        "contact": people["wang"].pk,
        "template": zh_template.pk,
        "subject": zh_template.subject,
        "body": "{{ contact.last_name }}经理：<b>粗体</b>",
        "cc": "",
    }
    response = client.post(reverse("emails:compose"), {**data, "action": "preview"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "王经理：&lt;b&gt;粗体&lt;/b&gt;" in html  # previewed as plain text
    assert not mail.outbox
    response = client.post(reverse("emails:compose"), {**data, "action": "send"})
    assert response.status_code == 302 and response.url == people["wang"].get_absolute_url()
    assert mail.outbox[0].body == "王经理：<b>粗体</b>"
    page = client.get(people["wang"].get_absolute_url())
    assert "Send e-mail" in page.content.decode()
    timeline = client.get(reverse("contacts:contact_history", args=[people["wang"].pk])).content.decode()
    assert "华信科技有限公司:王经理您好" in timeline


def test_compose_keeps_the_text_when_the_server_fails(users, people, client_for):
    client = client_for(users.owner)
    data = {"contact": people["alice"].pk, "subject": "Quote 2027", "body": "My long careful text", "action": "send"}
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("down")):
        response = client.post(reverse("emails:compose"), data)
    assert response.status_code == 502
    html = response.content.decode()
    assert "My long careful text" in html and "could not be sent" in html
    assert not Activity.objects.exists()


def test_compose_from_a_deal_lists_its_contacts(users, people, client_for):
    deal = DealFactory(owner=users.owner, company=people["alice"].company)
    client = client_for(users.owner)
    deal_page = client.get(deal.get_absolute_url()).content.decode()
    assert reverse("emails:compose") not in deal_page  # no contacts yet
    DealContact.objects.create(deal=deal, contact=people["alice"])
    DealContact.objects.create(deal=deal, contact=people["hidden"])
    deal_page = client.get(deal.get_absolute_url()).content.decode()
    assert f"{reverse('emails:compose')}?deal={deal.pk}" in deal_page
    html = client.get(reverse("emails:compose"), {"deal": deal.pk}).content.decode()
    assert "Alice Chen" in html and "Hidden Person" not in html
    response = client.post(
        reverse("emails:compose"),
        {"deal": deal.pk, "contact": people["alice"].pk, "subject": "On {{ deal.name }}", "body": "Hi"},
    )
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert EmailMessage.objects.get().activity.deal == deal
    assert mail.outbox[0].subject == f"On {deal.name}"
    # The hidden contact on the same deal cannot be chosen.
    response = client.post(
        reverse("emails:compose"),
        {"deal": deal.pk, "contact": people["hidden"].pk, "subject": "x", "body": "y"},
    )
    assert response.status_code == 400 and len(mail.outbox) == 1


def test_email_shown_on_the_activity_page(users, people, client_for):
    message = email_send(actor=users.owner, contact=people["alice"], subject="Hi", body="Hello", cc=["c@x.example"])
    client = client_for(users.owner)
    html = client.get(message.activity.get_absolute_url()).content.decode()
    assert message.get_absolute_url() in html
    html = html.replace("\u200b", "")  # the places to wrap a long address on a phone
    # The addresses and the Message-ID are on the activity's own page.
    assert "From: Rep Owner &lt;crm@localhost&gt;" in html and "Cc: c@x.example" in html
    assert "Message ID: " + message.message_id.replace("<", "&lt;").replace(">", "&gt;") in html
    detail = client.get(message.get_absolute_url()).content.decode()
    assert "Alice Chen &lt;alice@acme.example.com&gt;" in detail and "c@x.example" in detail
    assert message.message_id.replace("<", "&lt;").replace(">", "&gt;") in detail
    assert client_for(users.outsider).get(message.get_absolute_url()).status_code == 404


def test_api_send_and_list(users, people, zh_template, api_for):
    api = api_for(users.owner)
    response = api.post(
        "/api/v1/emails/send/", {"contact": people["wang"].pk, "template": zh_template.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject"] == "华信科技有限公司:王经理您好" and body["contact"] == people["wang"].pk
    assert body["direction"] == "out" and body["contacts"] == [people["wang"].pk]
    assert api.post("/api/v1/emails/send/", {"contact": people["wang"].pk}, format="json").status_code == 400
    hidden = api.post("/api/v1/emails/send/", {"contact": people["hidden"].pk, "subject": "a", "body": "b"})
    assert hidden.status_code == 404
    assert api.post("/api/v1/emails/send/", {"contact": "abc", "subject": "a", "body": "b"}).status_code == 400
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=smtplib.SMTPException):
        failed = api.post("/api/v1/emails/send/", {"contact": people["alice"].pk, "subject": "a", "body": "b"})
    assert failed.status_code == 502 and failed.json()["error"]["code"] == "email_not_sent"
    assert api.get("/api/v1/emails/").json()["count"] == 1
    assert api.get(f"/api/v1/emails/?contact={people['wang'].pk}").json()["count"] == 1
    assert api.get(f"/api/v1/emails/?contact={people['alice'].pk}").json()["count"] == 0
    assert api_for(users.teammate).get("/api/v1/emails/").json()["count"] == 1  # the team reads it
    assert api_for(users.outsider).get("/api/v1/emails/").json()["count"] == 0
    assert api_for(users.outsider).get(f"/api/v1/emails/{body['id']}/").status_code == 404


def test_compose_sends_attachments(users, people, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users.owner)
    files = [
        SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 quote", content_type="application/pdf"),
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
    ]
    data = {"contact": people["alice"].pk, "subject": "Quote", "body": "Attached.", "action": "send"}
    response = client.post(reverse("emails:compose"), {**data, "attachments": files})
    assert response.status_code == 302
    sent = mail.outbox[0]
    assert [(name, content) for name, content, _mime in sent.attachments] == [
        ("报价单.pdf", b"%PDF-1.4 quote"),
        ("notes.txt", "hello"),  # Django keeps a text attachment as text
    ]
    assert EmailMessage.objects.get().attachment_names == ["报价单.pdf", "notes.txt"]


def test_compose_refuses_too_large_attachments_before_reading_them(users, people, client_for, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.emails import services

    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    client = client_for(users.owner)
    data = {"contact": people["alice"].pk, "subject": "Quote", "body": "My text stays", "action": "send"}
    big = SimpleUploadedFile("big.bin", b"x" * 11, content_type="application/octet-stream")
    response = client.post(reverse("emails:compose"), {**data, "attachments": [big]})
    assert response.status_code == 400
    assert "My text stays" in response.content.decode() and "at most" in response.content.decode()
    assert not mail.outbox and not EmailMessage.objects.exists()
