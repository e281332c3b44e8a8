"""Running imports: the bulk contact path keeps the services' rules, matching, chunks and
checkpoints, undo and its refusal."""

from __future__ import annotations

import pytest

from crm.audit.models import AuditEntry
from crm.contacts.models import Company, Contact
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import ConflictError
from crm.imports import services
from crm.imports.models import ExternalId, ImportChange, ImportRowError, ImportRun

from .helpers import csv_bytes, run_import, upload

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "手机", "邮箱", "公司", "职位", "生日", "标签"]


def test_contacts_are_cleaned_like_the_form(users):
    company = CompanyFactory(name="华信科技有限公司", owner=users.owner)
    rows = [
        HEADER,
        ["  王　芳 ", "138 0013 8000", "Wang.Fang@Example.COM", "华信科技", "ＣＴＯ", "1990年5月1日", "VIP, 展会"],
        ["Bob", "12345", "not-an-email", "", "", "31.02.2020", ""],
        ["Carol", "+1 650 253 0000", "", "Nowhere Ltd", "", "", ""],
    ]
    run = run_import(users.owner, "contacts", rows, match_rule="create")
    assert run.status == ImportRun.Status.DONE
    assert (run.created_count, run.failed_count) == (1, 2)
    contact = Contact.objects.get()
    assert contact.name == "王 芳" and contact.title == "CTO"
    assert contact.phone == "+8613800138000" and contact.email == "wang.fang@example.com"
    assert contact.company == company and contact.owner == users.owner
    assert str(contact.birthday) == "1990-05-01"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert "wangfang" in contact.search_text and "13800138000" in contact.search_text
    errors = {e.row: e.errors for e in ImportRowError.objects.filter(run=run)}
    assert set(errors[3]) == {"phone", "email", "birthday"}
    assert "Nowhere Ltd" in errors[4]["company"][0]
    # One audit row for the import; the contact's own record is its ImportChange row.
    audit = AuditEntry.objects.filter(extra__import=run.pk)
    assert audit.count() == 1
    assert ImportChange.objects.filter(run=run, action="created", object_id=contact.pk).exists()


def test_upsert_by_email_updates_and_keeps_previous_values(users):
    existing = ContactFactory(name="Old Name", email="a@example.com", title="Buyer", owner=users.owner)
    rows = [
        ["name", "email", "title"],
        ["New Name", "A@Example.com", ""],  # empty title: left as it is
        ["Dora", "d@example.com", "CEO"],
        ["Dora Again", "d@example.com", "Chair"],  # repeats a contact of this file
    ]
    run = run_import(users.owner, "contacts", rows, match_rule="upsert", match_on="email")
    assert (run.created_count, run.updated_count) == (1, 2)
    existing.refresh_from_db()
    assert existing.name == "New Name" and existing.title == "Buyer"
    dora = Contact.objects.get(email="d@example.com")
    assert dora.name == "Dora Again" and dora.title == "Chair"
    change = ImportChange.objects.get(run=run, object_id=existing.pk)
    assert change.action == "updated" and change.before == {"name": "Old Name", "email": "a@example.com"}

    result = services.import_undo(run=run, actor=users.owner)
    assert result == {"deleted": 1, "restored": 1}
    existing.refresh_from_db()
    assert existing.name == "Old Name"
    assert not Contact.objects.filter(email="d@example.com").exists()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.UNDONE
    with pytest.raises(ConflictError):
        services.import_undo(run=run, actor=users.owner)


def test_undo_is_refused_when_a_record_changed_since(users):
    from crm.contacts.services import contact_update

    run = run_import(users.owner, "contacts", [["name", "email"], ["Eve", "e@example.com"], ["Fay", "f@example.com"]])
    eve = Contact.objects.get(name="Eve")
    contact_update(instance=eve, actor=users.owner, data={"title": "Boss"})
    with pytest.raises(ConflictError) as info:
        services.import_undo(run=run, actor=users.owner)
    assert "Eve" in str(info.value.message) and "nothing was undone" in str(info.value.message)
    assert Contact.objects.count() == 2


def test_create_only_skips_and_update_only_skips_unknown(users):
    ContactFactory(name="Known", email="k@example.com", owner=users.owner)
    rows = [["name", "email"], ["Known again", "k@example.com"], ["New", "n@example.com"]]
    run = run_import(users.owner, "contacts", rows, match_rule="create", match_on="email")
    assert (run.created_count, run.skipped_count) == (1, 1)
    run = run_import(users.owner, "contacts", rows, match_rule="update", match_on="email")
    # The contact made by the first run has nothing new: skipped.
    assert (run.created_count, run.updated_count, run.skipped_count) == (0, 1, 1)


def test_matching_respects_visibility_and_write_scope(users):
    ContactFactory(name="Hidden", email="h@example.com", owner=users.outsider)
    ContactFactory(name="Team", email="t@example.com", owner=users.teammate)
    rows = [["name", "email"], ["H", "h@example.com"], ["T", "t@example.com"]]
    run = run_import(users.owner, "contacts", rows, match_rule="upsert", match_on="email")
    # The outsider's contact is invisible: a new one is made. The teammate's is visible, not writable.
    assert (run.created_count, run.failed_count) == (1, 1)
    error = ImportRowError.objects.get(run=run)
    assert error.row == 3 and "not yours" in error.errors["__all__"][0]
    assert Contact.objects.get(email="t@example.com", name="Team")


def test_external_ids_match_a_later_import(users):
    rows = [["Customer No", "name", "email"], ["C-1", "Gus", "g@example.com"]]
    run_import(users.owner, "contacts", rows, match_rule="upsert", match_on="external_id")
    assert ExternalId.objects.get(external_id="C-1").object_id == Contact.objects.get().pk
    run = run_import(
        users.owner,
        "contacts",
        [rows[0], ["C-1", "Gus Grant", "g@example.com"]],
        match_rule="upsert",
        match_on="external_id",
    )
    assert (run.created_count, run.updated_count) == (0, 1)
    assert Contact.objects.get().name == "Gus Grant"


def test_companies_go_through_their_services_and_match_by_similar_name(users):
    CompanyFactory(name="Acme Robotics Co., Ltd.", owner=users.owner)
    rows = [
        ["公司名称", "统一社会信用代码", "行业"],
        ["ACME robotics", "", "Robots"],
        ["新公司有限公司", "91350100M000100Y43", "软件"],
        ["坏代码公司", "91350100M000100Y44", ""],
    ]
    run = run_import(users.owner, "companies", rows, match_rule="upsert", match_on="name")
    assert (run.created_count, run.updated_count, run.failed_count) == (1, 1, 1)
    assert Company.objects.get(name="Acme Robotics Co., Ltd.").industry == "Robots"
    assert Company.objects.get(name="新公司有限公司").registration_number == "91350100M000100Y43"
    error = ImportRowError.objects.get(run=run)
    assert "check character" in error.errors["registration_number"][0]
    # Through the service: each company has its own audit row.
    assert AuditEntry.objects.filter(action="create", object_repr="新公司有限公司").exists()


def test_leads_and_deals(users):
    from crm.deals.models import Deal
    from crm.leads.models import Lead

    run = run_import(
        users.owner,
        "leads",
        [["姓名", "手机", "来源", "评分"], ["线索一", "13800138000", "Event", "80"], ["线索二", "", "nonsense", "x"]],
    )
    assert (run.created_count, run.failed_count) == (1, 1)
    assert Lead.objects.get().source == "event"
    error = ImportRowError.objects.get(run=run)
    assert set(error.errors) == {"source", "score"}
    CompanyFactory(name="Acme", owner=users.owner)
    run = run_import(
        users.owner,
        "deals",
        [["商机名称", "客户", "金额", "预计成交日期"], ["Big deal", "Acme", "1,234,567.891", "2026/3/1"]],
    )
    assert run.created_count == 1, list(ImportRowError.objects.filter(run=run).values_list("errors", flat=True))
    deal = Deal.objects.get()
    assert str(deal.amount) == "1234567.89" and str(deal.expected_close_date) == "2026-03-01"


def test_a_crash_between_chunks_resumes_from_the_checkpoint(users, monkeypatch):
    rows = [["name", "email"]] + [[f"P{i}", f"p{i}@example.com"] for i in range(25)]
    run = upload(users.owner, "contacts", csv_bytes(rows))
    services.import_configure(run=run, actor=users.owner, mapping=run.mapping, match_rule="upsert", match_on="email")
    ImportRun.objects.filter(pk=run.pk).update(status="queued")
    real = services.apply_chunk
    calls = []

    def crashing(run_, writer, start, chunk, prepared=None):
        calls.append(start)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(run_, writer, start, chunk, prepared)

    monkeypatch.setattr(services, "apply_chunk", crashing)
    run.refresh_from_db()
    with pytest.raises(RuntimeError):
        services.import_execute(run=run, chunk_rows=10)
    run.refresh_from_db()
    # Two whole chunks applied and recorded; nothing of the third.
    assert run.checkpoint == 20 and Contact.objects.count() == 20
    assert ImportChange.objects.filter(run=run).count() == 20
    monkeypatch.setattr(services, "apply_chunk", real)
    run = services.import_execute(run=run, chunk_rows=10)
    assert run.status == "done" and run.checkpoint == 25 and run.created_count == 25
    assert Contact.objects.count() == 25


def test_preview_shows_stored_values_and_errors_and_saves_nothing(users):
    rows = [["姓名", "手机", "邮箱"], ["王芳", "138-0013-8000", "W@X.COM"], ["Bad", "123", "nope"]]
    run = upload(users.owner, "contacts", csv_bytes(rows))
    services.import_configure(run=run, actor=users.owner, mapping=run.mapping, match_rule="create")
    preview = services.import_preview(run=run, actor=users.owner)
    assert [r["action"] for r in preview] == ["created", "failed"]
    phone = preview[0]["cells"][1]
    assert phone["raw"] == "138-0013-8000" and phone["value"] == "+8613800138000"
    assert preview[1]["cells"][1]["errors"] and preview[1]["cells"][2]["errors"]
    assert Contact.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_dry_run_counts_without_saving(users):
    run = upload(users.owner, "contacts", csv_bytes([["name", "email"], ["A", "a@example.com"], ["B", "bad"]]))
    services.import_configure(run=run, actor=users.owner, mapping=run.mapping, match_rule="create")
    ImportRun.objects.filter(pk=run.pk).update(status="queued", dry_run=True)
    run.refresh_from_db()
    run = services.import_execute(run=run)
    assert (run.created_count, run.failed_count, run.status) == (1, 1, "done")
    assert Contact.objects.count() == 0
    assert ImportRowError.objects.filter(run=run).count() == 1


def test_error_file_neutralises_formulas(users):
    run = run_import(users.owner, "contacts", [["name", "email"], ['=HYPERLINK("x")', "bad"]])
    header, rows = services.import_error_rows(run)
    from crm.core.exports import stream_csv

    text = "".join(stream_csv(header, rows))
    assert "'=HYPERLINK" in text and "not a valid e-mail" in text


def test_custom_fields_are_validated(users):
    from django.contrib.contenttypes.models import ContentType

    from crm.core.models import CustomField

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        name="vip_level",
        label_en="VIP level",
        label_zh="会员等级",
        field_type="number",
    )
    run = run_import(users.owner, "contacts", [["name", "会员等级"], ["A", "3"], ["B", "three"]])
    assert run.mapping == {"0": "name", "1": "cf:vip_level"}
    assert (run.created_count, run.failed_count) == (1, 1)
    assert Contact.objects.get().custom_fields == {"vip_level": 3}
    assert "cf:vip_level" in ImportRowError.objects.get(run=run).errors
