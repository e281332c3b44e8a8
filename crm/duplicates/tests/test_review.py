"""The review page and the API: visibility, decisions, starting a scan."""

import pytest
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.models import Job
from crm.duplicates import engine, services
from crm.duplicates.models import DuplicatePair, PairStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(users):
    acme = CompanyFactory(name="Acme Robotics", owner=users.owner)
    a = ContactFactory(name="张伟", email="zw@acme.cn", company=acme, owner=users.owner)
    b = ContactFactory(name="Zhang Wei", email="zw@acme.cn", company=acme, owner=users.owner)
    # One record of this pair belongs to the outsider: only the admin sees both.
    c = ContactFactory(name="Peter Klein", email="pk@klein.de", owner=users.owner)
    d = ContactFactory(name="Peter Klein", email="pk@klein.de", owner=users.outsider)
    services.duplicates_scan(kind=engine.CONTACT)
    return {
        "mine": DuplicatePair.objects.get(a_id=min(a.pk, b.pk)),
        "mixed": DuplicatePair.objects.get(a_id=min(c.pk, d.pk)),
        "records": (a, b, c, d),
    }


def test_review_lists_only_pairs_whose_records_the_user_sees(pairs, users, client_for):
    page = client_for(users.owner).get(reverse("duplicates:review"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="pair-{pairs["mine"].pk}"' in html
    assert f'id="pair-{pairs["mixed"].pk}"' not in html
    assert "Zhang Wei" in html and "?ids=" in html and "Same e-mail" in html
    admin = client_for(users.admin).get(reverse("duplicates:review")).content.decode()
    assert f'id="pair-{pairs["mixed"].pk}"' in admin
    outsider = client_for(users.outsider).get(reverse("duplicates:review")).content.decode()
    assert "pair-" not in outsider


def test_review_filters_by_type_and_score(pairs, users, client_for):
    c = client_for(users.admin)
    assert "pair-" not in c.get(reverse("duplicates:review"), {"type": "company"}).content.decode()
    html = c.get(reverse("duplicates:review"), {"type": "contact", "min_score": "100"}).content.decode()
    shown = [p for p in (pairs["mine"], pairs["mixed"]) if f'id="pair-{p.pk}"' in html]
    assert all(p.score >= 100 for p in shown)
    # Nonsense filters fall back to the defaults instead of failing.
    assert c.get(reverse("duplicates:review"), {"min_score": "abc", "status": "x", "type": "y"}).status_code == 200


def test_review_in_chinese(pairs, users, client_for):
    c = client_for(users.owner)
    c.cookies["django_language"] = "zh-hans"
    html = c.get(reverse("duplicates:review")).content.decode()
    assert "重复" in html and "不是重复" in html


def test_not_a_duplicate_from_the_page(pairs, users, client_for):
    pair = pairs["mine"]
    response = client_for(users.owner).post(reverse("duplicates:not_duplicate", args=[pair.pk]))
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairStatus.NOT_DUPLICATE and pair.reviewed_by == users.owner
    html = client_for(users.owner).get(reverse("duplicates:review")).content.decode()
    assert f'id="pair-{pair.pk}"' not in html
    done = client_for(users.owner).get(reverse("duplicates:review"), {"status": "not_duplicate"}).content.decode()
    assert f'id="pair-{pair.pk}"' in done
    client_for(users.owner).post(reverse("duplicates:reopen", args=[pair.pk]))
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN


def test_not_a_duplicate_needs_write_access_and_visibility(pairs, users, client_for):
    pair = pairs["mine"]
    assert client_for(users.teammate).post(reverse("duplicates:not_duplicate", args=[pair.pk])).status_code == 403
    assert client_for(users.outsider).post(reverse("duplicates:not_duplicate", args=[pair.pk])).status_code == 404
    assert client_for(users.owner).post(reverse("duplicates:not_duplicate", args=[999999])).status_code == 404
    assert client_for(users.owner).get(reverse("duplicates:not_duplicate", args=[pair.pk])).status_code == 405
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN


def test_merge_from_the_review_page_marks_the_pair_merged(pairs, users, client_for):
    a, b, *_ = pairs["records"]
    c = client_for(users.owner)
    merge_url = reverse("contacts:contact_merge") + f"?ids={min(a.pk, b.pk)},{max(a.pk, b.pk)}"
    assert c.get(merge_url).status_code == 200
    response = c.post(reverse("contacts:contact_merge"), {"survivor": a.pk, "ids": f"{a.pk},{b.pk}"})
    assert response.status_code == 302
    pairs["mine"].refresh_from_db()
    assert pairs["mine"].status == PairStatus.MERGED


def test_only_administrators_start_a_scan(users, client_for, django_capture_on_commit_callbacks):
    assert client_for(users.owner).post(reverse("duplicates:scan")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users.admin).post(reverse("duplicates:scan"), {"type": "contact"})
    job = Job.objects.get(kind="duplicates_scan")
    assert response.status_code == 302 and response["Location"] == reverse("core:job_detail", args=[job.pk])
    assert job.params["kinds"] == ["contact"]
    assert job.status == Job.Status.SUCCEEDED  # eager Celery in tests


def test_users_without_change_permission_do_not_get_the_page(users, client_for):
    from crm.core.testing.factories import UserFactory

    nobody = UserFactory(username="norole", role=None)
    assert client_for(nobody).get(reverse("duplicates:review")).status_code == 403


# API -------------------------------------------------------------------------------
def test_api_lists_visible_pairs_with_filters(pairs, users, api_for):
    body = api_for(users.owner).get("/api/v1/duplicates/").json()
    ids = [row["id"] for row in body["results"]]
    assert ids == [pairs["mine"].pk]
    row = body["results"][0]
    assert row["type"] == "contact" and row["a_id"] < row["b_id"] and "Same e-mail" in row["reason_texts"]
    admin = api_for(users.admin)
    assert len(admin.get("/api/v1/duplicates/").json()["results"]) == 2
    assert admin.get("/api/v1/duplicates/", {"type": "company"}).json()["results"] == []
    bad = admin.get("/api/v1/duplicates/", {"type": "deal"})
    assert bad.status_code == 400 and "type" in bad.json()["error"]["fields"]


def test_api_not_duplicate(pairs, users, api_for):
    pair = pairs["mine"]
    assert api_for(users.outsider).post(f"/api/v1/duplicates/{pair.pk}/not-duplicate/").status_code == 404
    assert api_for(users.teammate).post(f"/api/v1/duplicates/{pair.pk}/not-duplicate/").status_code == 403
    response = api_for(users.owner).post(f"/api/v1/duplicates/{pair.pk}/not-duplicate/")
    assert response.status_code == 200 and response.json()["status"] == "not_duplicate"
    assert api_for(users.owner).get("/api/v1/duplicates/").json()["results"] == []
    listed = api_for(users.owner).get("/api/v1/duplicates/", {"status": "not_duplicate"}).json()["results"]
    assert [r["id"] for r in listed] == [pair.pk]
    assert api_for(users.owner).post("/api/v1/duplicates/abc/not-duplicate/").status_code == 404


def test_api_scan_is_for_administrators(users, api_for, django_capture_on_commit_callbacks):
    assert api_for(users.owner).post("/api/v1/duplicates/scan/").status_code == 403
    bad = api_for(users.admin).post("/api/v1/duplicates/scan/", {"types": ["deal"]}, format="json")
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(users.admin).post("/api/v1/duplicates/scan/", {"types": ["company"]}, format="json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.params["kinds"] == ["company"] and job.status == Job.Status.SUCCEEDED
