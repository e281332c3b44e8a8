"""The scan over the database: stored pairs, kept decisions, merges."""

import pytest

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.merge import records_merge, records_merge_undo
from crm.core.models import Job
from crm.duplicates import engine, services
from crm.duplicates.models import DuplicatePair, PairStatus
from crm.duplicates.tasks import duplicates_scan_job, duplicates_scan_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(users):
    acme = CompanyFactory(name="Acme Robotics Co., Ltd.", owner=users.owner, phone="")
    other = CompanyFactory(name="北京鼎盛贸易有限公司", owner=users.owner, phone="")
    return {
        "zw": ContactFactory(name="张伟", email="zw@acme.cn", phone="+8613800138000", company=acme, owner=users.owner),
        "zw2": ContactFactory(name="Zhang Wei", email="ZW@acme.cn", phone="", company=acme, owner=users.owner),
        "ln": ContactFactory(
            name="李娜", email="lina@qq.com", phone="+8613900139000", company=other, owner=users.owner
        ),
        "ln2": ContactFactory(name="李娜", email="", phone="+8613900139000", company=None, owner=users.owner),
        "wf": ContactFactory(name="王芳", email="wf@163.com", phone="", company=other, owner=users.owner),
        "acme": acme,
    }


def pair_of(a, b, kind="contact"):
    low, high = sorted([a.pk, b.pk])
    return DuplicatePair.objects.get(kind=kind, a_id=low, b_id=high)


def test_scan_stores_likely_pairs_with_reasons(people):
    result = services.duplicates_scan(kind=engine.CONTACT)
    assert result["new"] == 2
    pair = pair_of(people["zw"], people["zw2"])
    assert pair.status == PairStatus.OPEN and pair.score >= engine.DEFAULT_MIN_SCORE
    assert {"same_name", "same_email", "same_company"} <= {r["code"] for r in pair.reasons}
    assert pair_of(people["ln"], people["ln2"]).score >= engine.DEFAULT_MIN_SCORE
    assert not DuplicatePair.objects.filter(a_id=people["wf"].pk).exists()
    assert not DuplicatePair.objects.filter(b_id=people["wf"].pk).exists()


def test_a_rescan_keeps_not_duplicate_and_drops_pairs_no_longer_found(people, users):
    services.duplicates_scan(kind=engine.CONTACT)
    first = pair_of(people["zw"], people["zw2"])
    services.pair_mark_not_duplicate(pair=first, actor=users.owner)
    second = pair_of(people["ln"], people["ln2"])
    # The second record changes so that the pair no longer looks alike.
    type(people["ln2"]).objects.filter(pk=people["ln2"].pk).update(name="Peter Klein", phone="+8613700137000")
    result = services.duplicates_scan(kind=engine.CONTACT)
    assert result["removed"] == 1 and result["new"] == 0
    first.refresh_from_db()
    assert first.status == PairStatus.NOT_DUPLICATE and first.reviewed_by == users.owner
    assert not DuplicatePair.objects.filter(pk=second.pk).exists()


def test_merging_marks_the_pair_merged_and_undo_reopens_it(people, users):
    services.duplicates_scan(kind=engine.CONTACT)
    pair = pair_of(people["zw"], people["zw2"])
    merged = records_merge(survivor=people["zw"], others=[people["zw2"]], actor=users.owner)
    pair.refresh_from_db()
    assert pair.status == PairStatus.MERGED
    # A later scan does not bring the pair back (the merged record is in the recycle bin).
    services.duplicates_scan(kind=engine.CONTACT)
    pair.refresh_from_db()
    assert pair.status == PairStatus.MERGED
    records_merge_undo(entry=merged.merge_entry, actor=users.owner)
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN


def test_deleted_records_are_not_scanned(people):
    type(people["zw2"]).objects.filter(pk=people["zw2"].pk).update(deleted_at="2026-01-01T00:00:00Z")
    services.duplicates_scan(kind=engine.CONTACT)
    assert not DuplicatePair.objects.filter(b_id=people["zw2"].pk).exists()
    assert not DuplicatePair.objects.filter(a_id=people["zw2"].pk).exists()


def test_company_scan_finds_the_same_company_with_another_legal_form(users):
    a = CompanyFactory(name="华信科技有限公司", registration_number="", phone="+862155500001", owner=users.owner)
    b = CompanyFactory(name="华信科技", registration_number="", phone="+86 21 5550 0001", owner=users.owner)
    CompanyFactory(name="远航物流有限公司", phone="+862155500002", owner=users.owner)
    services.duplicates_scan(kind=engine.COMPANY)
    assert DuplicatePair.objects.filter(kind="company").count() == 1
    pair = pair_of(a, b, "company")
    assert {"same_name", "same_phone"} <= {r["code"] for r in pair.reasons}


def test_the_job_scans_both_types_and_reports_counts(people, users):
    from crm.core.jobs import job_enqueue

    job = job_enqueue(kind="duplicates_scan", task=duplicates_scan_job, user=users.admin, params={"kinds": ["contact"]})
    duplicates_scan_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["contact"]["records"] == 5 and job.result["contact"]["new"] == 2
    assert "company" not in job.result


def test_the_nightly_task_scans_everything(people):
    result = duplicates_scan_task()
    assert set(result) == {"company", "contact"}
    assert DuplicatePair.objects.filter(kind="contact").count() == 2


def test_an_unknown_type_is_refused():
    from crm.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.duplicates_scan(kind="deal")
