"""The wizard's pages: upload, mapping, preview, start, progress, errors file, undo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.contacts.models import Contact
from crm.imports.models import ImportRun

from .helpers import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["姓名", "手机", "邮箱"], ["王芳", "13800138000", "wf@example.com"], ["李雷", "bad", "ll@example.com"]]


def test_wizard(users, client_for, django_capture_on_commit_callbacks):
    client = client_for(users.owner)
    assert client.get("/imports/").status_code == 200
    upload = SimpleUploadedFile("people.csv", csv_bytes(ROWS, encoding="gbk"))
    response = client.post("/imports/upload/", {"record_type": "contacts", "file": upload})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'name="col_1"' in page and 'value="phone" selected' in page
    response = client.post(
        f"/imports/{run.pk}/",
        {
            "col_0": "name",
            "col_1": "phone",
            "col_2": "email",
            "match_rule": "create",
            "match_on": "",
            "phone_region": "CN",
        },
    )
    assert response.status_code == 302 and "preview=1" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "+8613800138000" in page and "not a valid phone number" in page and "cell-error" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{run.pk}/start/")
    run.refresh_from_db()
    assert run.status == "done" and run.created_count == 1
    page = client.get(f"/imports/{run.pk}/progress/").content.decode()
    assert "count-created" in page and "undo-import" in page and "download-errors" in page
    assert client.get(f"/imports/{run.pk}/errors/").status_code == 200
    client.post(f"/imports/{run.pk}/undo/")
    assert not Contact.objects.exists()


def test_mapping_errors_keep_the_choices(users, client_for):
    client = client_for(users.owner)
    client.post("/imports/upload/", {"record_type": "contacts", "file": SimpleUploadedFile("p.csv", csv_bytes(ROWS))})
    run = ImportRun.objects.get()
    response = client.post(f"/imports/{run.pk}/", {"col_1": "phone", "col_2": "phone", "match_rule": "create"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "two columns" in page and "required fields" in page


def test_upload_errors_are_shown_translated(users, client_for, settings):
    client = client_for(users.owner)
    response = client.post(
        "/imports/upload/",
        {"record_type": "contacts", "file": SimpleUploadedFile("p.csv", b"")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400 and "文件是空的" in response.content.decode()
    settings.IMPORT_MAX_BYTES = 1024
    response = client.post(
        "/imports/upload/", {"record_type": "contacts", "file": SimpleUploadedFile("p.csv", b"x" * 5000)}
    )
    assert response.status_code == 413 and "larger than" in response.content.decode()
    # Declared too large: refused before the body is parsed.
    response = client.generic(
        "POST", "/imports/upload/", b"x" * 200_000, content_type="multipart/form-data; boundary=zzz"
    )
    assert response.status_code == 413
    assert ImportRun.objects.count() == 0


def test_upload_needs_csrf(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users.owner)
    response = client.post(
        "/imports/upload/", {"record_type": "contacts", "file": SimpleUploadedFile("p.csv", csv_bytes(ROWS))}
    )
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0


def test_other_users_cannot_open_an_import(users, client_for):
    client_for(users.owner).post(
        "/imports/upload/", {"record_type": "contacts", "file": SimpleUploadedFile("p.csv", csv_bytes(ROWS))}
    )
    run = ImportRun.objects.get()
    assert client_for(users.teammate).get(f"/imports/{run.pk}/").status_code == 404
    assert client_for(users.teammate).post(f"/imports/{run.pk}/undo/").status_code == 404
