"""Templates: own and shared, merge fields checked on save, audited, pages and API."""

import pytest
from django.urls import reverse
from django.utils import translation

from crm.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.emails.models import EmailTemplate
from crm.emails.services import template_create, template_delete, template_update

pytestmark = pytest.mark.django_db

VALID = {
    "name": "报价跟进",
    "language": "zh-hans",
    "subject": "关于{{ deal.name }}的报价",
    "body": "{{ contact.last_name }}经理您好：\n\n第二行\n\n{{ user.name }}",
    "active": True,
    "shared": False,
}


def test_create_keeps_line_breaks_and_is_audited(users):
    template = template_create(actor=users.owner, data={**VALID, "body": "  Line 1\r\nLine 2\r\n\r\nLine 4  "})
    assert template.owner == users.owner
    assert template.body == "Line 1\nLine 2\n\nLine 4"
    entry = AuditEntry.objects.get(object_id=str(template.pk), action="create")
    assert entry.actor == users.owner and {"field": "name", "old": None, "new": "报价跟进"} in entry.changes


def test_unknown_merge_field_is_refused_with_a_translated_message(users):
    with pytest.raises(ValidationFailed) as exc:
        template_create(actor=users.owner, data={**VALID, "body": "Hi {{ contact.nickname }}"})
    assert set(exc.value.fields) == {"body"}
    assert "{{ contact.nickname }}" in exc.value.fields["body"][0]
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as exc:
        template_create(actor=users.owner, data={**VALID, "subject": "{{ user.password }}"})
    assert "未知的合并字段" in exc.value.fields["subject"][0]
    assert not EmailTemplate.objects.exists()


def test_only_owner_and_admin_change_a_shared_template(users):
    template = template_create(actor=users.owner, data={**VALID, "shared": True})
    with pytest.raises(PermissionDeniedError):
        template_update(instance=template, actor=users.teammate, data={"name": "Mine now"})
    with pytest.raises(PermissionDeniedError):
        template_delete(instance=template, actor=users.teammate)
    template_update(instance=template, actor=users.admin, data={"name": "Renamed"})
    update = AuditEntry.objects.get(object_id=str(template.pk), action="update")
    assert update.changes == [{"field": "name", "old": "报价跟进", "new": "Renamed"}]
    pk = template.pk
    template_delete(instance=template, actor=users.owner)
    assert AuditEntry.objects.filter(object_id=str(pk), action="delete").exists()
    assert not EmailTemplate.objects.exists()


def test_unknown_keys_are_refused(users):
    with pytest.raises(ValidationFailed) as exc:
        template_create(actor=users.owner, data={**VALID, "owner": users.teammate})
    assert "owner" in exc.value.fields


def test_list_shows_own_and_shared_only(users, client_for):
    mine = template_create(actor=users.owner, data={**VALID, "name": "Mine private"})
    shared = template_create(actor=users.teammate, data={**VALID, "name": "Team shared", "shared": True})
    other = template_create(actor=users.teammate, data={**VALID, "name": "Teammate private"})
    page = client_for(users.owner).get(reverse("emails:template_list")).content.decode()
    assert mine.name in page and shared.name in page and other.name not in page
    assert client_for(users.owner).get(reverse("emails:template_edit", args=[other.pk])).status_code == 404
    # Shared, but not the owner's to change.
    assert client_for(users.owner).get(reverse("emails:template_edit", args=[shared.pk])).status_code == 403
    assert client_for(users.owner).get(reverse("emails:template_preview", args=[shared.pk])).status_code == 200
    assert client_for(users.owner).post(reverse("emails:template_delete", args=[other.pk])).status_code == 404
    admin_page = client_for(users.admin).get(reverse("emails:template_list")).content.decode()
    assert other.name in admin_page


def test_page_create_shows_merge_fields_and_errors(users, client_for):
    client = client_for(users.owner)
    page = client.get(reverse("emails:template_add"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "{{ contact.first_name }}" in html and "{{ user.phone }}" in html
    response = client.post(reverse("emails:template_add"), {**VALID, "body": "Hello {{ contact.age }}\nbye"})
    assert response.status_code == 400
    assert "Unknown merge field" in response.content.decode()
    assert "Hello {{ contact.age }}" in response.content.decode()  # the user's text is kept
    response = client.post(reverse("emails:template_add"), VALID)
    assert response.status_code == 302
    template = EmailTemplate.objects.get()
    response = client.post(reverse("emails:template_edit", args=[template.pk]), {**VALID, "name": "改名"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "改名"
    assert client.post(reverse("emails:template_delete", args=[template.pk])).status_code == 302
    assert not EmailTemplate.objects.exists()


def test_preview_with_a_chosen_contact(users, people, client_for):
    template = template_create(actor=users.owner, data=VALID)
    client = client_for(users.owner)
    url = reverse("emails:template_preview", args=[template.pk])
    html = client.get(url, {"contact": people["wang"].pk}).content.decode()
    assert "王经理您好" in html and "Rep Owner" in html
    # A contact the rep may not see is refused by the form, not shown.
    html = client.get(url, {"contact": people["hidden"].pk}).content.decode()
    assert "Hidden Person" not in html


def test_api_crud_and_preview(users, people, api_for):
    api = api_for(users.owner)
    response = api.post("/api/v1/email-templates/", {**VALID, "body": "{{ deal.stage }}"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["body"]
    response = api.post("/api/v1/email-templates/", VALID, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["owner"] == users.owner.pk and response.json()["can_change"] is True
    assert api.get("/api/v1/email-templates/?language=en").json()["count"] == 0
    assert api.get("/api/v1/email-templates/?language=zh-hans").json()["count"] == 1
    response = api.patch(f"/api/v1/email-templates/{pk}/", {"shared": True}, format="json")
    assert response.status_code == 200 and response.json()["shared"] is True
    preview = api.post(f"/api/v1/email-templates/{pk}/preview/", {"contact": people["wang"].pk}, format="json")
    assert preview.status_code == 200
    assert preview.json()["body"].startswith("王经理您好：\n\n第二行")
    hidden = api.post(f"/api/v1/email-templates/{pk}/preview/", {"contact": people["hidden"].pk}, format="json")
    assert hidden.status_code == 404
    teammate = api_for(users.teammate)
    assert teammate.get(f"/api/v1/email-templates/{pk}/").json()["can_change"] is False
    assert teammate.delete(f"/api/v1/email-templates/{pk}/").status_code == 403
    assert api_for(users.outsider).patch(f"/api/v1/email-templates/{pk}/", {"shared": False}).status_code == 403
    api.patch(f"/api/v1/email-templates/{pk}/", {"shared": False}, format="json")
    assert api_for(users.outsider).get(f"/api/v1/email-templates/{pk}/").status_code == 404
    assert api.delete(f"/api/v1/email-templates/{pk}/").status_code == 204
