"""Logging mail sent elsewhere: real .eml files, through the logging address, the API
and the command."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from crm.activities.models import Activity
from crm.emails.models import EmailMessage, LoggingAddress
from crm.emails.services import logging_address_renew

from .conftest import eml

pytestmark = pytest.mark.django_db
URL = "/api/v1/emails/inbound/"


def post_raw(client, raw: bytes, **extra):
    return client.generic("POST", URL, raw, content_type="message/rfc822", **extra)


@pytest.fixture
def address(users, people, inbound_domain):
    _row, address = logging_address_renew(actor=users.owner)
    return address


def test_chinese_subject_through_the_logging_address(users, people, address):
    response = post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=address))
    assert response.status_code == 201, response.json()
    body = response.json()
    # Full-width punctuation is made half-width, as every subject in the CRM.
    assert body["subject"] == "关于2027年度采购合同的报价(请确认)"
    assert body["direction"] == "in"  # from the contact
    assert body["from_address"] == "王芳 <wangfang@huaxin.example.cn>"
    assert body["source"] == "address" and body["logged_by"] == users.owner.pk
    message = EmailMessage.objects.get()
    activity = message.activity
    assert activity.kind == "email" and activity.owner == users.owner
    assert activity.contact == people["wang"] and activity.company == people["wang"].company
    assert activity.body == "王经理您好：\n\n附件是我们的需求清单，请尽快报价。\n\n谢谢！\n王芳"
    assert activity.occurred_at.isoformat() == "2026-11-30T01:15:00+00:00"
    assert message.message_id == "<20261130091500.12345@huaxin.example.cn>"


def test_gbk_body_sent_by_the_user(users, people, address):
    response = post_raw(APIClient(), eml("gbk_body.eml", LOGGING_ADDRESS=address))
    assert response.status_code == 201, response.json()
    message = EmailMessage.objects.get()
    assert message.direction == "out"  # the user wrote it
    assert message.activity.subject == "拜访感谢及报价安排"
    assert "感谢朱镕先生和李喆女士昨天的接待" in message.activity.body
    assert message.to_addresses == ["王芳 <wangfang@huaxin.example.cn>"]


def test_multipart_alternative_prefers_plain_text_and_records_every_contact(users, people, address):
    # Bob is the manager's: the rep cannot see him, so only Alice is matched.
    response = post_raw(APIClient(), eml("alternative.eml", LOGGING_ADDRESS=address))
    assert response.status_code == 201
    message = EmailMessage.objects.get()
    assert message.activity.body == "Hi,\n\nThursday works for the demo.\nAlice"
    assert list(message.contacts.all()) == [people["alice"]]
    assert message.cc_addresses == ["Bob Stone <bob@globex.example.com>", address]
    # Logged by the manager (who sees both), both contacts are recorded.
    EmailMessage.objects.all().delete()
    Activity.objects.all().delete()
    manager = APIClient()
    manager.force_authenticate(users.manager)
    response = post_raw(manager, eml("alternative.eml"))
    assert response.status_code == 201, response.json()
    message = EmailMessage.objects.get()
    assert message.activity.contact == people["alice"] and message.direction == "in"
    assert sorted(c.name for c in message.contacts.all()) == ["Alice Chen", "Bob Stone"]
    assert sorted(response.json()["contacts"]) == sorted([people["alice"].pk, people["bob"].pk])


def test_html_only_is_turned_into_text(users, people, api_for):
    response = post_raw(api_for(users.owner), eml("html_only.eml"))
    assert response.status_code == 201
    assert EmailMessage.objects.get().activity.body == "Price list\n\nLine one\nLine two & three\n\n- Arm A\n- Arm B"


def test_attachments_are_listed_not_stored(users, people, api_for):
    upload = SimpleUploadedFile("quote.eml", eml("attachment.eml"), content_type="message/rfc822")
    response = api_for(users.owner).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["attachment_names"] == ["报价单-2027.pdf", "logo.png"]
    message = EmailMessage.objects.get()
    assert message.activity.subject == "报价单 attached" and message.direction == "out"
    assert message.activity.body == "Please find the quote attached. 请查收报价单。"
    assert message.source == "upload"


def test_missing_message_id_is_still_logged_once(users, people, api_for):
    api = api_for(users.owner)
    first = post_raw(api, eml("no_message_id.eml"))
    assert first.status_code == 201
    assert first.json()["message_id"].endswith("@no-message-id.invalid>")
    again = post_raw(api, eml("no_message_id.eml"))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert EmailMessage.objects.count() == 1 and Activity.objects.count() == 1


def test_duplicate_message_id_is_logged_once(users, people, address, api_for):
    first = post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=address))
    second = post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=address))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    # Posted by the teammate (who sees the rep's activity) it is the same one, too.
    third = post_raw(api_for(users.teammate), eml("chinese_subject.eml"))
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    # Someone who cannot see it learns only that it is logged.
    from crm.contacts.tests.factories import ContactFactory

    ContactFactory(name="王芳 copy", email="wangfang@huaxin.example.cn", owner=users.outsider)
    fourth = post_raw(api_for(users.outsider), eml("chinese_subject.eml"))
    assert fourth.status_code == 409 and "id" not in fourth.json()
    assert EmailMessage.objects.count() == 1


def test_oversized_is_refused_before_reading(users, people, address, settings):
    settings.EMAIL_MAX_INBOUND_BYTES = 2048
    raw = eml("chinese_subject.eml", LOGGING_ADDRESS=address) + b"\r\n" + b"x" * 4096
    response = post_raw(APIClient(), raw)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    upload = SimpleUploadedFile("big.eml", raw, content_type="message/rfc822")
    client = APIClient()
    client.force_authenticate(users.owner)
    assert client.post(URL, {"file": upload}, format="multipart").status_code == 413
    assert not EmailMessage.objects.exists()


def test_oversized_without_a_length_is_cut_off(users, people, address, settings):
    """A body streamed without Content-Length is read only up to the limit."""
    from crm.emails.api.views import MessageTooLarge, RawMessageParser

    settings.EMAIL_MAX_INBOUND_BYTES = 1024
    with pytest.raises(MessageTooLarge):
        RawMessageParser().parse(io.BytesIO(b"x" * 5000))
    assert RawMessageParser().parse(io.BytesIO(b"x" * 1024)) == {"raw": b"x" * 1024}


def test_unknown_or_revoked_token(users, people, address, inbound_domain):
    unknown = f"log+{'a' * 32}@{inbound_domain}"
    response = post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=unknown))
    assert response.status_code == 403 and response.json()["error"]["code"] == "unknown_logging_address"
    _row, newer = logging_address_renew(actor=users.owner)
    response = post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=address))
    assert response.status_code == 403  # the old address was revoked
    # The right token at another domain does not count either.
    other_domain = newer.replace(inbound_domain, "evil.example.com")
    assert post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=other_domain)).status_code == 403
    assert post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=newer)).status_code == 201
    assert LoggingAddress.objects.filter(user=users.owner, revoked_at__isnull=True).count() == 1


def test_no_domain_configured_means_no_address_login(users, people, address, settings):
    settings.INBOUND_EMAIL_DOMAIN = ""
    assert post_raw(APIClient(), eml("chinese_subject.eml", LOGGING_ADDRESS=address)).status_code == 403


def test_no_matching_contact_is_422(users, people, api_for):
    raw = eml("no_message_id.eml").replace(b"alice@acme.example.com", b"stranger@nowhere.example")
    response = post_raw(api_for(users.owner), raw)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "no_matching_contact" and "stranger@nowhere.example" in error["message"]
    # The user's own address is never matched, even if a contact has it.
    from crm.contacts.tests.factories import ContactFactory

    ContactFactory(name="Me as contact", email="owner@crm.example.com", owner=users.owner)
    assert post_raw(api_for(users.owner), raw).status_code == 422
    response = post_raw(api_for(users.owner), raw, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422 and "联系人" in response.json()["error"]["message"]


def test_malformed_and_empty(users, people, api_for):
    api = api_for(users.owner)
    response = post_raw(api, eml("malformed.eml"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_email"
    assert post_raw(api, b"").status_code == 400
    assert post_raw(api, b"\xff\xfe\x00garbage").status_code == 400
    assert api.post(URL, {"nothing": "here"}, format="multipart").status_code == 400
    assert api.post(URL, {"a": 1}, format="json").status_code == 415
    assert not EmailMessage.objects.exists()


def test_other_contacts_email_addresses_match(users, people, api_for):
    people["alice"].emails = ["alice.private@home.example"]
    people["alice"].save()
    from crm.contacts.text import contact_search_text

    a = people["alice"]
    type(a).objects.filter(pk=a.pk).update(
        search_text=contact_search_text(name=a.name, title=a.title, email=a.email, emails=a.emails)
    )
    raw = eml("no_message_id.eml").replace(b"alice@acme.example.com", b"ALICE.PRIVATE@home.example")
    response = post_raw(api_for(users.owner), raw)
    assert response.status_code == 201 and response.json()["contact"] == a.pk
    assert response.json()["direction"] == "in"


def test_command_logs_and_prints(users, people, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(eml("gbk_body.eml"))
    out = io.StringIO()
    call_command("log_email", str(path), "--user", users.owner.username, stdout=out)
    text = out.getvalue()
    assert text.startswith("Logged: e-mail #") and "拜访感谢及报价安排" in text and "王芳" in text
    out = io.StringIO()
    call_command("log_email", str(path), "--user", users.owner.username, stdout=out)
    assert out.getvalue().startswith("Already logged")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active user"):
        call_command("log_email", str(path), "--user", "ghost")
    with pytest.raises(CommandError, match="logging address"):
        call_command("log_email", str(path))
    assert EmailMessage.objects.count() == 1


def test_command_reads_standard_input_and_refuses_large_files(users, people, monkeypatch, tmp_path, settings):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(eml("html_only.eml"))))
    out = io.StringIO()
    call_command("log_email", "-", "--user", users.owner.username, stdout=out)
    assert "'HTML only'" in out.getvalue() and "Alice Chen <alice@acme.example.com>" in out.getvalue()
    from django.core.management.base import CommandError

    settings.EMAIL_MAX_INBOUND_BYTES = 1024
    big = tmp_path / "big.eml"
    big.write_bytes(eml("alternative.eml") + b"x" * 2048)
    with pytest.raises(CommandError, match="larger than EMAIL_MAX_INBOUND_BYTES"):
        call_command("log_email", str(big), "--user", users.owner.username)
    with pytest.raises(CommandError, match="No such file"):
        call_command("log_email", str(tmp_path / "missing.eml"), "--user", users.owner.username)
