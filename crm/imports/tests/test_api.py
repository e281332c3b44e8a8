"""The import API: upload, mapping, preview, start (as a job), status, errors file, undo."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.contacts.models import Contact
from crm.imports.models import ImportRun

from .helpers import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["姓名", "手机", "邮箱"], ["王芳", "13800138000", "wf@example.com"], ["李雷", "bad", "ll@example.com"]]


def _upload(api, rows=ROWS, **extra):
    data = {
        "record_type": "contacts",
        "file": SimpleUploadedFile("people.csv", csv_bytes(rows, encoding="gbk")),
        **extra,
    }
    return api.post("/api/v1/imports/", data, format="multipart")


def test_the_whole_flow(users, api_for, django_capture_on_commit_callbacks):
    api = api_for(users.owner)
    response = _upload(api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["encoding"] == "gb18030" and body["total_rows"] == 2
    assert body["mapping"] == {"0": "name", "1": "phone", "2": "email"}
    pk = body["id"]
    response = api.post(
        f"/api/v1/imports/{pk}/mapping/",
        {"mapping": body["mapping"], "match_rule": "upsert", "match_on": "email"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["match_on"] == "email"
    preview = api.get(f"/api/v1/imports/{pk}/preview/").json()
    assert [r["action"] for r in preview] == ["created", "failed"]
    assert preview[1]["cells"][1]["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/imports/{pk}/start/", {}, format="json")
    assert response.status_code == 202
    status = api.get(f"/api/v1/imports/{pk}/status/").json()
    assert status["status"] == "done" and (status["created"], status["failed"]) == (1, 1) and status["percent"] == 100
    errors = api.get(f"/api/v1/imports/{pk}/errors/")
    text = b"".join(errors.streaming_content).decode("utf-8")
    assert "李雷" in text and "bad" in text
    assert Contact.objects.filter(name="王芳").exists()
    response = api.post(f"/api/v1/imports/{pk}/undo/")
    assert response.status_code == 200 and response.json() == {"deleted": 1, "restored": 0}
    assert not Contact.objects.exists()
    response = api.post(f"/api/v1/imports/{pk}/undo/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_mapping_with_the_upload(users, api_for):
    response = _upload(api_for(users.owner), mapping='{"0": "name", "2": "email"}', match_rule="create")
    assert response.status_code == 201 and response.json()["mapping"] == {"0": "name", "2": "email"}


def test_bad_uploads_get_the_error_shape(users, api_for, settings):
    api = api_for(users.owner)
    response = _upload(api, rows=[["name", "Name"], ["a", "b"]])
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"][0].startswith("The column name")
    response = api.post(
        "/api/v1/imports/", {"record_type": "contacts", "file": SimpleUploadedFile("x.csv", b"")}, format="multipart"
    )
    assert response.status_code == 400
    settings.IMPORT_MAX_BYTES = 1024
    response = _upload(api, rows=[["name"]] + [["x" * 100]] * 200)
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_large"
    assert ImportRun.objects.count() == 0


def test_too_large_by_content_length_is_refused_unread(users, api_for, settings):
    settings.IMPORT_MAX_BYTES = 1024
    api = api_for(users.owner)
    response = api.generic("POST", "/api/v1/imports/", "x" * 200_000, content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_large"


def test_other_users_imports_are_404(users, api_for):
    pk = _upload(api_for(users.owner)).json()["id"]
    for user in (users.teammate, users.outsider):
        assert api_for(user).get(f"/api/v1/imports/{pk}/").status_code == 404
        assert api_for(user).post(f"/api/v1/imports/{pk}/undo/").status_code == 404
    assert api_for(users.admin).get(f"/api/v1/imports/{pk}/").status_code == 200
    assert api_for(users.owner).get("/api/v1/imports/abc/").status_code == 404


def test_german_chinese_language_of_errors(users, api_for):
    api = api_for(users.owner)
    response = api.post(
        "/api/v1/imports/",
        {"record_type": "contacts", "file": SimpleUploadedFile("x.csv", b"")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "空" in response.json()["error"]["fields"]["file"][0]
