"""Every e-mail page reads in Chinese with no English left (the check tests/test_translations.py uses)."""

import pytest
from django.urls import reverse

from crm.emails.services import email_send, template_create
from tests.test_translations import _CJK, all_messages, compiled_catalog, english_leftovers  # noqa: F401

pytestmark = pytest.mark.django_db


def test_email_pages_have_no_english_left(users, people, client_for, compiled_catalog, all_messages, settings):  # noqa: F811
    template = template_create(
        actor=users.owner,
        data={"name": "问候", "language": "zh-hans", "subject": "您好", "body": "{{ contact.name }}您好"},
    )
    message = email_send(actor=users.owner, contact=people["wang"], subject="报价", body="您好")
    client = client_for(users.owner)
    client.cookies["django_language"] = "zh-hans"
    pages = [
        reverse("emails:template_list"),
        reverse("emails:template_add"),
        reverse("emails:template_edit", args=[template.pk]),
        reverse("emails:template_preview", args=[template.pk]) + f"?contact={people['wang'].pk}",
        reverse("emails:compose") + f"?contact={people['wang'].pk}",
        reverse("emails:email_detail", args=[message.pk]),
        reverse("emails:logging_address"),
    ]
    problems = {}
    for domain in ("", "in.crm.example.com"):
        settings.INBOUND_EMAIL_DOMAIN = domain
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert _CJK.search(html), url
            leftovers = english_leftovers(html, all_messages)
            if leftovers:
                problems[url] = leftovers
    response = client.post(reverse("emails:logging_address"), follow=True)
    leftovers = english_leftovers(response.content.decode(), all_messages)
    if leftovers:
        problems["logging address made"] = leftovers
    assert problems == {}
