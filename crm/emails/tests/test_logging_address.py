"""The logging address page: how to configure it, a new address revokes the old, only a
hash is kept."""

import hashlib

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.emails.models import LoggingAddress

pytestmark = pytest.mark.django_db


def test_without_a_domain_the_page_explains_the_setup(users, client_for, settings):
    settings.INBOUND_EMAIL_DOMAIN = ""
    client = client_for(users.owner)
    html = client.get(reverse("emails:logging_address")).content.decode()
    assert "INBOUND_EMAIL_DOMAIN" in html and "/api/v1/emails/inbound/" in html
    assert client.post(reverse("emails:logging_address")).status_code == 403
    assert not LoggingAddress.objects.exists()


def test_new_address_is_shown_once_and_revokes_the_old(users, client_for, inbound_domain):
    client = client_for(users.owner)
    assert "You have no logging address yet" in client.get(reverse("emails:logging_address")).content.decode()
    response = client.post(reverse("emails:logging_address"))
    assert response.status_code == 302  # a reload of the page shows, it does not make another
    html = client.get(response.url).content.decode()
    start = html.index('id="logging-address">') + len('id="logging-address">')
    address = html[start : html.index("</code>", start)]
    assert address.startswith("log+") and address.endswith("@" + inbound_domain)
    token = address[4 : address.index("@")]
    assert len(token) == 32 and token == token.lower()
    row = LoggingAddress.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    # Shown again only by its beginning.
    html = client.get(reverse("emails:logging_address")).content.decode()
    assert token not in html and f"log+{token[:6]}" in html
    client.post(reverse("emails:logging_address"))
    assert LoggingAddress.objects.filter(revoked_at__isnull=True).count() == 1
    assert LoggingAddress.objects.get(pk=row.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="permission", actor=users.owner).count() == 2
