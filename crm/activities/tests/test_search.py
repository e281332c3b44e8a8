"""Activities are found by their stored search text (subject, place, call outcome,
with pinyin), in the lists' search box and the top bar's global search."""

import pytest
from django.urls import reverse

from crm.activities.models import Activity
from crm.activities.services import activity_create, activity_update
from crm.contacts.tests.factories import CompanyFactory
from crm.core.text import search_query

pytestmark = pytest.mark.django_db


def test_the_services_write_the_search_text_outside_the_audit(users):
    from crm.audit.models import AuditEntry

    company = CompanyFactory(owner=users.owner)
    call = activity_create(
        actor=users.owner,
        data={"kind": "call", "subject": "回访张伟", "outcome": "Agreed ＰＯ", "company": company},
    )
    text = Activity.objects.get(pk=call.pk).search_text
    assert search_query("回访张伟") in text and "huifang" in text and "agreed po" in text
    meeting = activity_create(
        actor=users.owner,
        data={"kind": "meeting", "subject": "Review", "place": "国贸大厦", "company": company},
    )
    assert "guomao" in Activity.objects.get(pk=meeting.pk).search_text.replace(" ", "")
    activity_update(instance=call, actor=users.owner, data={"subject": "Renamed 改名"})
    assert search_query("Renamed 改名") in Activity.objects.get(pk=call.pk).search_text
    for entry in AuditEntry.objects.filter(object_id=str(call.pk)):
        assert all(c["field"] not in {"search_text", "remind_at", "reminded_at"} for c in entry.changes)


def test_the_global_search_finds_activities_by_pinyin_and_not_others(users, client_for):
    company = CompanyFactory(owner=users.owner)
    mine = activity_create(actor=users.owner, data={"kind": "call", "subject": "回访张伟", "company": company})
    hidden_company = CompanyFactory(owner=users.outsider)
    theirs = activity_create(
        actor=users.outsider, data={"kind": "call", "subject": "回访张伟 too", "company": hidden_company}
    )
    html = client_for(users.owner).get(reverse("core:search"), {"q": "huifang"}).content.decode()
    assert mine.get_absolute_url() in html and theirs.get_absolute_url() not in html


def test_the_migration_fills_existing_rows():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("crm.activities.migrations.0003_activity_search_text_fill")
    company = CompanyFactory()
    row = Activity.objects.create(kind="call", subject="老客户 Old", place="", outcome="won", company=company)
    assert row.search_text == ""
    migration.fill_search_text(apps, None)
    row.refresh_from_db()
    assert search_query("老客户 Old") in row.search_text and "laokehu" in row.search_text and "won" in row.search_text
