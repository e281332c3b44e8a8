"""The contacts' bulk path: updates by contact_update's rules in one batch per chunk, and
chunks prepared ahead in a forked child process with the same results as one by one."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from crm.audit.models import AuditEntry
from crm.contacts.models import Contact
from crm.contacts.tests.factories import ContactFactory
from crm.imports import services
from crm.imports.models import ImportChange, ImportRowError, ImportRun

from .helpers import csv_bytes, run_import, upload

pytestmark = pytest.mark.django_db


def test_an_update_is_audited_versioned_and_searchable_like_contact_update(users):
    existing = ContactFactory(name="Old Name", email="a@example.com", title="Buyer", owner=users.owner)
    version = existing.version
    rows = [
        ["name", "email", "title", "marketing consent", "tags"],
        ["张伟", "A@example.com", "Chief Buyer", "yes", "VIP, 展会"],
    ]
    run = run_import(users.owner, "contacts", rows, match_rule="upsert", match_on="email")
    assert (run.created_count, run.updated_count, run.failed_count) == (0, 1, 0)
    existing.refresh_from_db()
    assert existing.name == "张伟" and existing.title == "Chief Buyer"
    assert existing.version == version + 1
    # The consent rule of contact_update: giving consent records the day and a source.
    assert existing.marketing_consent is True
    assert existing.consent_date == timezone.localdate() and existing.consent_source == "manual"
    assert sorted(existing.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert "zhangwei" in existing.search_text and "chief buyer" in existing.search_text
    entry = AuditEntry.objects.get(action="update", object_id=str(existing.pk))
    changed = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changed["name"] == ("Old Name", "张伟") and changed["title"] == ("Buyer", "Chief Buyer")
    assert changed["tags"] == ([], ["VIP", "展会"])
    assert entry.actor == users.owner
    change = ImportChange.objects.get(run=run, object_id=existing.pk)
    assert change.version == existing.version and change.before["tags"] == []

    services.import_undo(run=run, actor=users.owner)
    existing.refresh_from_db()
    assert (existing.name, existing.title, existing.marketing_consent) == ("Old Name", "Buyer", False)
    assert list(existing.tags.all()) == []


def test_two_rows_matching_one_contact_update_it_in_order_and_bad_values_are_refused(users):
    existing = ContactFactory(name="Ann", email="ann@example.com", title="", owner=users.owner)
    rows = [
        ["name", "email", "title", "phone"],
        ["Ann B", "ann@example.com", "Buyer", ""],
        ["", "ANN@example.com", "Head Buyer", ""],
        ["", "ann@example.com", "", "12345"],  # not a phone number: this row alone is refused
        ["", "ann@example.com", "Head Buyer", ""],  # nothing new
    ]
    run = run_import(users.owner, "contacts", rows, match_rule="upsert", match_on="email")
    assert (run.updated_count, run.failed_count, run.skipped_count) == (2, 1, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.title, existing.phone) == ("Ann B", "Head Buyer", "")
    changes = list(ImportChange.objects.filter(run=run).order_by("row"))
    assert [c.row for c in changes] == [2, 3]
    assert changes[0].before == {"name": "Ann", "email": "ann@example.com", "title": ""}
    assert changes[1].before["title"] == "Buyer"
    assert changes[1].version == changes[0].version + 1 == existing.version
    error = ImportRowError.objects.get(run=run)
    assert error.row == 4 and "12345" in error.errors["phone"][0]
    assert AuditEntry.objects.filter(action="update", object_id=str(existing.pk)).count() == 2


def test_without_the_change_permission_updates_are_refused(users, django_user_model):
    from crm.accounts.models import Role

    role = Role.objects.create(key="adder", name="Adder")
    from django.contrib.auth.models import Permission

    role.permissions.set(Permission.objects.filter(codename__in=["add_contact", "view_contact"]))
    adder = django_user_model.objects.create_user(username="adder", password="x", role=role)
    ContactFactory(name="Kim", email="kim@example.com", owner=adder)
    rows = [["name", "email"], ["Kim Lee", "kim@example.com"], ["New", "new@example.com"]]
    run = run_import(adder, "contacts", rows, match_rule="upsert", match_on="email")
    assert (run.created_count, run.updated_count, run.failed_count) == (1, 0, 1)
    assert Contact.objects.get(email="kim@example.com").name == "Kim"


def _rows(count: int) -> list[list[str]]:
    rows = [["姓名", "手机", "邮箱", "职位", "生日"]]
    for i in range(count):
        phone = f"138{i:08d}" if i % 7 else "12345"  # every 7th phone is refused
        email = f"p{i % 40}@example.com"  # repeats: updates across chunks and inside one
        rows.append([f"客户{i}", phone, email, "经理" if i % 2 else "Buyer", "1990/1/2" if i % 3 else "31.02.2020"])
    return rows


def _outcome(run: ImportRun) -> dict:
    return {
        "counts": (run.created_count, run.updated_count, run.skipped_count, run.failed_count),
        "contacts": sorted(Contact.objects.values_list("email", "name", "phone", "title", "birthday", "search_text")),
        "errors": sorted((e.row, sorted(e.errors)) for e in ImportRowError.objects.filter(run=run)),
        "changes": sorted(ImportChange.objects.filter(run=run).values_list("row", "action")),
    }


def test_chunks_prepared_in_a_child_process_give_what_one_process_gives(users, monkeypatch):
    forks = []
    real_fork = services.os.fork

    def counting_fork():
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(services.os, "fork", counting_fork)
    results = []
    for ahead in (False, True):
        with override_settings(IMPORT_PREPARE_AHEAD=ahead):
            run = run_import(users.owner, "contacts", _rows(120), match_rule="upsert", match_on="email", chunk_rows=25)
        assert run.status == ImportRun.Status.DONE
        results.append(_outcome(run))
        services.import_undo(run=run, actor=users.owner)
        assert not Contact.objects.exists()
    assert len(forks) == 1  # only the second run prepared ahead
    assert results[0] == results[1]
    assert results[0]["counts"][1] > 0 and results[0]["counts"][3] > 0


def test_the_child_works_in_the_language_of_the_import(users):
    with translation.override("zh-hans"):
        run = run_import(users.owner, "contacts", _rows(60), match_rule="create", chunk_rows=10)
    assert run.failed_count > 0
    messages = [m for e in ImportRowError.objects.filter(run=run) for ms in e.errors.values() for m in ms]
    assert messages and all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in messages), messages[:3]


def test_a_broken_file_found_by_the_child_fails_the_run_with_its_message(users):
    run = upload(users.owner, "contacts", csv_bytes(_rows(3000)))
    services.import_configure(run=run, actor=users.owner, mapping=run.mapping, match_rule="create", match_on="")
    run.status = run.Status.QUEUED
    run.save(update_fields=["status"])
    # The stored file damaged after it was read at upload: the child meets the bad bytes.
    with services.run_path(run).open("r+b") as handle:
        handle.seek(120_000)
        handle.write("客户".encode("gbk"))
    run = services.import_execute(run=run, chunk_rows=500)
    assert run.status == ImportRun.Status.FAILED
    assert "UTF-8" in run.message
    # Whole chunks before the broken part are applied and recorded; undo takes them back.
    assert run.checkpoint == Contact.objects.count() + run.failed_count > 0
    assert ImportChange.objects.filter(run=run).count() == Contact.objects.count()
    services.import_undo(run=run, actor=users.owner)
    assert not Contact.objects.exists()


def test_birthday_stays_a_date_through_the_pipe(users):
    run = run_import(users.owner, "contacts", _rows(40), match_rule="create", chunk_rows=10)
    assert run.created_count > 0
    assert all(
        isinstance(b, datetime.date) for b in Contact.objects.exclude(birthday=None).values_list("birthday", flat=True)
    )


def test_deals_keep_their_named_stages_when_prepared_ahead(users):
    """Records the reader looked up by name (pipelines, stages) come out of the child as
    the same records, not as empty stand-ins."""
    from crm.contacts.tests.factories import CompanyFactory
    from crm.deals.models import Deal, Stage

    CompanyFactory(name="Acme", owner=users.owner)
    stages = list(Stage.objects.select_related("pipeline").order_by("pk")[:3])
    assert stages, "the deals app's migrations create a default pipeline"
    rows = [["商机名称", "客户", "金额", "阶段"]]
    for i in range(30):
        rows.append(
            [f"Deal {i}", "Acme", str(1000 + i), stages[i % len(stages)].name_zh or stages[i % len(stages)].name_en]
        )
    run = run_import(users.owner, "deals", rows, chunk_rows=7)
    assert run.created_count == 30, list(ImportRowError.objects.filter(run=run).values_list("errors", flat=True))
    for deal in Deal.objects.select_related("stage"):
        expected = stages[int(deal.name.split()[1]) % len(stages)]
        assert deal.stage_id == expected.pk and deal.pipeline_id == expected.pipeline_id


def test_a_cleaning_process_that_dies_stops_the_run_with_a_message_in_its_language(users, monkeypatch):
    def dies(*args):
        raise SystemExit(1)  # the forked child ends without sending a chunk

    monkeypatch.setattr(services, "_prepare_in_child", dies)
    run = upload(users.owner, "contacts", csv_bytes(_rows(50)))
    services.import_configure(run=run, actor=users.owner, mapping=run.mapping, match_rule="create", match_on="")
    run.status = run.Status.QUEUED
    run.save(update_fields=["status"])
    with translation.override("zh-hans"), pytest.raises(RuntimeError) as info:
        services.import_execute(run=run, chunk_rows=10)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value)), str(info.value)
    assert not Contact.objects.exists()
    run.refresh_from_db()
    assert run.checkpoint == 0
