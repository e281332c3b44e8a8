"""A large XLSX export is built by a background job; the user downloads it from the
job's page or through the API, and nobody else can."""

import io
import os
import time
import zoneinfo

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.contacts.tests.factories import ContactFactory
from crm.core import exports
from crm.core.models import Job

pytestmark = pytest.mark.django_db
EXPORT = "contacts:contact_export"


@pytest.fixture
def big_export(settings, tmp_path):
    """Anything over two rows counts as large; files go to a folder of the test's own."""
    settings.EXPORT_BACKGROUND_ROWS = 2
    settings.EXPORT_DIR = tmp_path / "exports"
    return tmp_path / "exports"


@pytest.fixture
def contacts(users):
    return [
        ContactFactory(owner=users.owner, name="王芳", title="=cmd"),
        ContactFactory(owner=users.owner, name="Li Lei"),
        ContactFactory(owner=users.teammate, name="Zhang Wei"),
        ContactFactory(owner=users.outsider, name="Hidden Person"),
    ]


def sheet(content: bytes) -> list[list]:
    return [list(r) for r in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def downloaded(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    return b"".join(response.streaming_content)


def test_page_export_goes_to_a_job_whose_file_matches_the_direct_download(
    users, contacts, client_for, big_export, settings, django_capture_on_commit_callbacks
):
    client = client_for(users.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse(EXPORT), {"format": "xlsx", "sort": "name"})
    job = Job.objects.get(kind="export_file")
    assert response.status_code == 302 and response["Location"] == reverse("core:job_detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["rows"] == 3 and job.result["filename"] == "contacts.xlsx"
    assert not list(big_export.glob("*.part"))

    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert reverse("core:job_download", args=[job.pk]) in page and "Kept for 24 hours." in page
    rows = sheet(downloaded(client.get(reverse("core:job_download", args=[job.pk]))))
    settings.EXPORT_BACKGROUND_ROWS = 1000
    direct = sheet(b"".join(client.get(reverse(EXPORT), {"format": "xlsx", "sort": "name"}).streaming_content))
    assert [r[1:3] for r in rows] == [r[1:3] for r in direct]
    assert [r[1] for r in rows[1:]] == ["Li Lei", "Zhang Wei", "王芳"]
    assert rows[3][2] == "'=cmd"  # neutralised like every export


def test_only_the_user_who_asked_gets_the_file(
    users, contacts, client_for, big_export, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.manager).get(reverse(EXPORT), {"format": "xlsx"})
    job = Job.objects.get(kind="export_file")
    assert client_for(users.admin).get(reverse("core:job_download", args=[job.pk])).status_code == 404
    assert client_for(users.admin).get(reverse("core:job_detail", args=[job.pk])).status_code == 404


def test_csv_is_never_sent_to_the_background(users, contacts, client_for, big_export):
    response = client_for(users.manager).get(reverse(EXPORT), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not Job.objects.exists()


def test_api_export_answers_202_and_the_file_comes_from_the_jobs_endpoint(
    users, contacts, api_for, big_export, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 0
    api = api_for(users.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.get("/api/v1/contacts/export/", {"format": "xlsx", "q": "li"})
    assert response.status_code == 202
    data = response.json()
    assert data["status_url"].endswith(f"/api/v1/jobs/{data['job']}/")
    status = api.get(data["status_url"]).json()
    assert status["status"] == "succeeded" and status["percent"] == 100
    assert status["download_url"] == data["download_url"]
    # The job honours the list's filter.
    rows = sheet(downloaded(api.get(data["download_url"])))
    assert [r[1] for r in rows[1:]] == ["Li Lei"]
    assert api_for(users.owner).get(data["download_url"]).status_code == 404
    assert [j["id"] for j in api.get("/api/v1/jobs/").json()["results"]] == [data["job"]]
    assert api_for(users.owner).get("/api/v1/jobs/").json()["results"] == []


def test_the_file_is_deleted_after_the_keep_time(
    users, contacts, client_for, big_export, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.manager).get(reverse(EXPORT), {"format": "xlsx"})
    job = Job.objects.get(kind="export_file")
    path = exports.export_file_path(job.pk)
    assert exports.export_files_purge(hours=24) == 0 and path.exists()
    old = time.time() - 25 * 3600
    os.utime(path, (old, old))
    assert exports.export_files_purge(hours=24) == 1 and not path.exists()
    assert client_for(users.manager).get(reverse("core:job_download", args=[job.pk])).status_code == 404


def test_a_crash_while_writing_leaves_no_file(big_export, monkeypatch):
    def broken_rows():
        yield [1, "ok"]
        raise RuntimeError("worker killed")

    path = big_export / "x.xlsx"
    with pytest.raises(RuntimeError):
        exports.write_export_file(path, ["id", "name"], broken_rows(), sheet_name="Contacts")
    assert list(big_export.iterdir()) == []


def test_a_user_who_lost_the_export_permission_gets_no_file(
    users, contacts, client_for, big_export, django_capture_on_commit_callbacks
):
    from crm.core.tasks import export_file_job

    with django_capture_on_commit_callbacks(execute=False):
        client_for(users.manager).get(reverse(EXPORT), {"format": "xlsx"})
    job = Job.objects.get(kind="export_file")
    users.manager.role.permissions.remove(Permission.objects.get(codename="export_contact"))
    users.manager.refresh_from_db()
    export_file_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "can no longer be made" in job.message
    assert not list(big_export.glob("*"))


def test_the_job_writes_dates_in_the_zone_of_the_page_that_asked(
    users, contacts, client_for, big_export, django_capture_on_commit_callbacks
):
    users.manager.time_zone = "America/New_York"
    users.manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users.manager).get(reverse(EXPORT), {"format": "xlsx"})
    job = Job.objects.get(kind="export_file")
    assert job.params["_time_zone"] == "America/New_York"
    rows = sheet(downloaded(client_for(users.manager).get(reverse("core:job_download", args=[job.pk]))))
    created = rows[0].index("Created")
    expected = contacts[0].created_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    by_name = {r[1]: r for r in rows[1:]}
    assert abs((by_name["王芳"][created] - expected.replace(tzinfo=None)).total_seconds()) < 60
