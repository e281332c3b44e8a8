"""The contract every record type proves: visibility, CRUD, audit, locking, recycle bin,
custom fields and constant-query lists, through pages and API alike.

    class TestContactContract(RecordContract):
        model = Contact
        def make(self, owner, **kw): return ContactFactory(owner=owner, **kw)
        def valid_data(self): return {"name": "张伟", "email": "zw@example.com"}

A later app adds one such class per model and gets every check below.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.core.models import CustomField


class RecordContract:
    model = None
    pages = None  # the RecordPages declaration of the model
    edit_field = "name"
    edit_value = "Changed 已修改"

    # Subclasses fill these in ------------------------------------------------------
    def make(self, owner, **kwargs):
        raise AssertionError("a contract subclass must say how to make a record")

    def valid_data(self) -> dict:
        raise AssertionError("a contract subclass must give valid form/API data")

    # Helpers -----------------------------------------------------------------------
    @property
    def opts(self):
        return self.model._meta

    def url(self, action: str, *args) -> str:
        return reverse(f"{self.opts.app_label}:{self.opts.model_name}_{action}", args=args)

    def api_url(self, pk=None) -> str:
        name = self.opts.model_name
        if pk is None:
            return reverse(f"{name}-list")
        return reverse(f"{name}-detail", args=[pk])

    def audit_rows(self, obj, action=None):
        ct = ContentType.objects.get_for_model(self.model)
        qs = AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk))
        return qs.filter(action=action) if action else qs

    @pytest.fixture
    def record(self, users):
        return self.make(owner=users.owner)

    # Visibility --------------------------------------------------------------------
    def test_detail_page_and_api_follow_visibility(self, users, record, client_for, api_for):
        expected = {"owner": 200, "teammate": 200, "manager": 200, "admin": 200, "outsider": 404}
        for who, status in expected.items():
            user = getattr(users, who)
            assert client_for(user).get(self.url("detail", record.pk)).status_code == status, who
            assert api_for(user).get(self.api_url(record.pk)).status_code == status, who

    def test_lists_show_only_visible_records(self, users, record, client_for, api_for):
        foreign = self.make(owner=users.outsider)
        for who, sees_record, sees_foreign in [
            ("owner", True, False),
            ("teammate", True, False),
            ("manager", True, False),
            ("outsider", False, True),
            ("admin", True, True),
        ]:
            user = getattr(users, who)
            ids = {row["id"] for row in api_for(user).get(self.api_url(), {"page_size": 500}).json()["results"]}
            assert (record.pk in ids) is sees_record, who
            assert (foreign.pk in ids) is sees_foreign, who
            html = client_for(user).get(self.url("list"), {"per_page": 200}).content.decode()
            assert (f'href="{record.get_absolute_url()}"' in html) is sees_record, who

    def test_global_search_respects_visibility(self, users, record, client_for):
        term = str(getattr(record, self.edit_field))[:6]
        html_outsider = client_for(users.outsider).get(reverse("core:search"), {"q": term}).content.decode()
        html_owner = client_for(users.owner).get(reverse("core:search"), {"q": term}).content.decode()
        assert record.get_absolute_url() in html_owner
        assert record.get_absolute_url() not in html_outsider

    def test_export_contains_only_visible_records(self, users, record, client_for):
        foreign = self.make(owner=users.outsider)
        response = client_for(users.manager).get(self.url("export"))
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        ids = {row[0] for row in rows[1:]}
        assert str(record.pk) in ids
        assert str(foreign.pk) not in ids
        assert AuditEntry.objects.filter(action="export", actor=users.manager).exists()

    def test_export_needs_the_export_permission(self, users, record, client_for):
        assert client_for(users.owner).get(self.url("export")).status_code == 403

    def test_write_follows_write_scope(self, users, record, client_for, api_for):
        # A teammate reads the record but may not change it; the outsider does not see it.
        assert client_for(users.teammate).get(self.url("edit", record.pk)).status_code == 403
        assert (
            api_for(users.teammate).patch(self.api_url(record.pk), {self.edit_field: "x"}, format="json").status_code
            == 403
        )
        assert client_for(users.outsider).get(self.url("edit", record.pk)).status_code == 404
        assert (
            api_for(users.outsider).patch(self.api_url(record.pk), {self.edit_field: "x"}, format="json").status_code
            == 404
        )
        assert api_for(users.outsider).delete(self.api_url(record.pk)).status_code == 404
        response = api_for(users.manager).patch(
            self.api_url(record.pk), {self.edit_field: self.edit_value}, format="json"
        )
        assert response.status_code == 200, response.json()
        record.refresh_from_db()
        assert getattr(record, self.edit_field) == self.edit_value

    def test_forged_ids_get_404(self, users, api_for, client_for):
        assert api_for(users.admin).get(self.api_url(987654321)).status_code == 404
        assert api_for(users.admin).patch(self.api_url(987654321), {}, format="json").status_code == 404
        body = api_for(users.admin).get(self.api_url().rstrip("/") + "/not-a-number/").json()
        assert body["error"]["code"] == "not_found"
        assert client_for(users.admin).get(self.url("detail", 987654321)).status_code == 404

    # Create, update, audit ---------------------------------------------------------
    def test_create_through_page_and_api_writes_audit(self, users, client_for, api_for):
        data = self.valid_data()
        response = client_for(users.owner).post(self.url("add"), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        created = self.model.objects.order_by("-pk").first()
        assert created.owner == users.owner
        assert self.audit_rows(created, "create").get().actor == users.owner

        response = api_for(users.owner).post(self.api_url(), {**data, "tags": ["VIP"]}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["tags"] == ["VIP"] and body["version"] == 1
        assert response["ETag"] == '"1"'
        assert self.audit_rows(self.model.objects.get(pk=body["id"]), "create").count() == 1

    def test_update_records_old_and_new_values(self, users, record, api_for):
        old = getattr(record, self.edit_field)
        response = api_for(users.owner).patch(
            self.api_url(record.pk), {self.edit_field: self.edit_value}, format="json"
        )
        assert response.status_code == 200
        entry = self.audit_rows(record, "update").get()
        assert {"field": self.edit_field, "old": old, "new": self.edit_value} in entry.changes
        assert entry.actor == users.owner and entry.request_id

    def test_invalid_api_input_gets_the_error_shape(self, users, api_for):
        response = api_for(users.owner).post(self.api_url(), {self.edit_field: ""}, format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_failed" and self.edit_field in error["fields"]
        assert not self.model.objects.filter(owner=users.owner).exists()

    # Optimistic locking ------------------------------------------------------------
    def test_stale_api_edit_gets_409(self, users, record, api_for):
        api = api_for(users.owner)
        first = api.patch(self.api_url(record.pk), {self.edit_field: "First"}, format="json", HTTP_IF_MATCH='"1"')
        assert first.status_code == 200 and first["ETag"] == '"2"'
        stale = api.patch(self.api_url(record.pk), {self.edit_field: "Second"}, format="json", HTTP_IF_MATCH='"1"')
        assert stale.status_code == 409
        assert stale.json()["error"]["code"] == "conflict"
        record.refresh_from_db()
        assert getattr(record, self.edit_field) == "First"

    def test_stale_page_edit_keeps_the_users_input(self, users, record, client_for):
        client = client_for(users.owner)
        form = {**self.valid_data(), self.edit_field: "Mine 我的", "version": record.version}
        self.model.objects.filter(pk=record.pk).update(version=record.version + 1)
        response = client.post(self.url("edit", record.pk), form)
        html = response.content.decode()
        assert response.status_code == 409, html
        assert "Mine 我的" in html and 'id="conflict"' in html
        record.refresh_from_db()
        assert getattr(record, self.edit_field) != "Mine 我的"

    # Recycle bin -------------------------------------------------------------------
    def test_delete_restore_and_purge(self, users, record, client_for, api_for):
        assert api_for(users.owner).delete(self.api_url(record.pk)).status_code == 204
        assert not self.model.objects.filter(pk=record.pk).exists()
        assert self.model.all_objects.filter(pk=record.pk, deleted_at__isnull=False).exists()
        assert api_for(users.owner).get(self.api_url(record.pk)).status_code == 404
        bin_page = client_for(users.owner).get(reverse("core:recycle_bin")).content.decode()
        assert str(record) in bin_page
        restore = reverse("core:recycle_bin_restore", args=[self.opts.label_lower, record.pk])
        assert client_for(users.outsider).post(restore).status_code == 404
        assert client_for(users.owner).post(restore).status_code == 302
        assert self.model.objects.filter(pk=record.pk).exists()
        actions = list(self.audit_rows(record).order_by("created_at", "id").values_list("action", flat=True))
        assert actions[-2:] == ["delete", "restore"]
        client_for(users.owner).post(self.url("delete", record.pk))
        purge = reverse("core:recycle_bin_purge", args=[self.opts.label_lower, record.pk])
        assert client_for(users.owner).post(purge).status_code == 302
        assert not self.model.all_objects.filter(pk=record.pk).exists()
        assert self.audit_rows(record, "purge").exists()

    # Custom fields -----------------------------------------------------------------
    def test_custom_fields_are_validated_filtered_and_exported(self, users, record, api_for, client_for):
        ct = ContentType.objects.get_for_model(self.model)
        CustomField.objects.create(
            content_type=ct, name="budget", label_en="Budget", label_zh="预算", field_type="number"
        )
        CustomField.objects.create(
            content_type=ct, name="level", label_en="Level", label_zh="级别", field_type="choice", choices=["A", "B"]
        )
        api = api_for(users.owner)
        bad = api.patch(self.api_url(record.pk), {"custom_fields": {"budget": "lots", "nope": 1}}, format="json")
        assert bad.status_code == 400
        assert set(bad.json()["error"]["fields"]) == {"custom_fields.budget", "custom_fields.nope"}
        good = api.patch(self.api_url(record.pk), {"custom_fields": {"budget": "12", "level": "B"}}, format="json")
        assert good.status_code == 200, good.json()
        assert good.json()["custom_fields"] == {"budget": 12, "level": "B"}
        other = self.make(owner=users.owner, custom_fields={"level": "A"})
        ids = {r["id"] for r in api.get(self.api_url(), {"cf_level": "B"}).json()["results"]}
        assert record.pk in ids and other.pk not in ids
        rows = list(
            csv.reader(
                io.StringIO(
                    b"".join(client_for(users.manager).get(self.url("export")).streaming_content).decode("utf-8-sig")
                )
            )
        )
        assert "Budget" in rows[0]
        assert "12" in next(r for r in rows if r[0] == str(record.pk))

    # Lists stay cheap --------------------------------------------------------------
    def test_list_page_query_count_does_not_grow_with_rows(self, users, client_for):
        client = client_for(users.owner)
        self.make(owner=users.owner)
        client.get(self.url("list"))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as few:
            assert client.get(self.url("list")).status_code == 200
        for _ in range(30):
            self.make(owner=users.owner)
        with CaptureQueriesContext(connection) as many:
            assert client.get(self.url("list")).status_code == 200
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
        every_column = ",".join(c.name for c in self.pages.table().all_columns)
        with CaptureQueriesContext(connection) as wide_few:
            client.get(self.url("list"), {"columns": every_column, "per_page": 25})
        with CaptureQueriesContext(connection) as wide_many:
            client.get(self.url("list"), {"columns": every_column, "per_page": 100})
        assert len(wide_many) == len(wide_few)
