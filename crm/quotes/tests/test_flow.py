"""Quotes end to end through the services, pages and API: approval, send, accept,
revise, read-only old versions, stale edits, bad and forged lines, the PDF."""

import shutil
import subprocess
from decimal import Decimal

import pytest

from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.products.tests.factories import ProductFactory
from crm.quotes import approvals, services
from crm.quotes.models import Quote, QuoteSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(users):
    return CompanyFactory(owner=users.owner)


def _line(**kw):
    return {"description": "Cloud server", "quantity": "2", "unit_price": "100.00", "tax_rate": "13", **kw}


def test_high_discount_needs_the_managers_approval(users, company):
    quote = services.quote_create(actor=users.owner, data={"company": company}, lines=[_line(discount_percent="20")])
    assert quote.status == "needs_approval" and quote.approver == users.manager
    with pytest.raises(services.UnprocessableError):
        services.quote_send(quote=quote, actor=users.owner)
    with pytest.raises(services.UnprocessableError):
        services.quote_accept(quote=quote, actor=users.owner)
    with pytest.raises(approvals.PermissionDeniedError):
        approvals.quote_approve(quote=quote, actor=users.teammate, comment="")
    approved = approvals.quote_approve(quote=quote, actor=users.manager, comment="OK 同意")
    assert approved.status == "approved" and approved.decided_by == users.manager
    assert AuditEntry.objects.filter(object_id=str(quote.pk), extra__approval="approved").exists()
    sent = services.quote_send(quote=approved, actor=users.owner)
    assert sent.status == "sent" and sent.sent_at is not None


def test_threshold_is_configurable(users, company):
    row = QuoteSettings.load()
    row.max_discount_without_approval = Decimal("25")
    row.save()
    quote = services.quote_create(actor=users.owner, data={"company": company}, lines=[_line(discount_percent="20")])
    assert quote.status == "draft"


def test_reject_needs_a_comment_and_then_revise(users, company):
    quote = services.quote_create(actor=users.owner, data={"company": company}, lines=[_line(discount_percent="30")])
    with pytest.raises(services.ValidationFailed):
        approvals.quote_reject(quote=quote, actor=users.admin, comment="")
    rejected = approvals.quote_reject(quote=quote, actor=users.admin, comment="Too much")
    assert rejected.status == "rejected"
    new = services.quote_revise(quote=rejected, actor=users.owner)
    assert new.revision == 2 and new.display_number.endswith("-v2")
    with pytest.raises(services.UnprocessableError) as exc:
        services.quote_update(instance=Quote.objects.get(pk=quote.pk), actor=users.owner, data={"title": "x"})
    assert exc.value.code == "superseded" and "v2" in str(exc.value.message)


def test_api_flow_stale_edit_bad_lines_and_forged_product(users, company, api_for):
    api = api_for(users.owner)
    product = ProductFactory(owner=users.admin)
    body = {"company": company.pk, "currency": "CNY", "lines": [_line(product=product.pk, discount_percent="5")]}
    created = api.post("/api/v1/quotes/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["total"] == "214.7000" and data["lines"][0]["total"] == "214.7000"  # 200 - 10 = 190 + 24.70
    url = f"/api/v1/quotes/{data['id']}/"
    stale = api.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 409
    bad = api.patch(url, {"lines": [_line(quantity="abc"), _line(unit_price="-1")]}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"lines.0.quantity", "lines.1.unit_price"}
    forged = api.patch(url, {"lines": [_line(product=999999)]}, format="json")
    assert forged.status_code == 400 and "lines.0.product" in forged.json()["error"]["fields"]
    assert Quote.objects.get(pk=data["id"]).lines.count() == 1  # nothing half saved
    assert api.post(url + "send/").status_code == 200
    assert api.patch(url, {"title": "y"}, format="json").status_code == 422
    revised = api.post(url + "revise/")
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    assert api.patch(url, {"title": "z"}, format="json").status_code == 422
    assert api_for(users.outsider).get(url).status_code == 404


def test_client_totals_are_ignored(users, company, api_for):
    body = {"company": company.pk, "total": "1.00", "lines": [{**_line(), "total": "1.00"}]}
    response = api_for(users.owner).post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "226.0000"
    assert response.json()["lines"][0]["total"] == "226.0000"


def test_accept_without_orders_app_is_guarded_or_creates_the_order(users, company):
    quote = services.quote_create(actor=users.owner, data={"company": company}, lines=[_line()])
    quote, order = services.quote_accept(quote=quote, actor=users.owner)
    assert quote.status == "accepted"
    if services.orders_hook() is None:
        assert order is None
    else:
        assert order is not None and order.quote_id == quote.pk
        with pytest.raises(services.UnprocessableError):
            services.quote_accept(quote=quote, actor=users.owner)


def _pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "q.pdf"
    path.write_bytes(pdf)
    command = [shutil.which("pdftotext"), "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode()  # noqa: S603


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_chinese_pdf_has_the_chinese_text_and_a_cjk_font(users, company, tmp_path, client_for):
    contact = ContactFactory(company=company, owner=users.owner, preferred_language="zh-hans")
    product = ProductFactory(name="Cloud server", name_zh="弹性云服务器", owner=users.admin)
    quote = services.quote_create(
        actor=users.owner,
        data={"company": company, "contact": contact},
        lines=[_line(product=product.pk, description="弹性云服务器 高配版")],
    )
    assert quote.language == "zh-hans"
    response = client_for(users.owner).get(f"/sales/quotes/{quote.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _pdftotext(pdf, tmp_path)
    assert "弹性云服务器 高配版" in text and "报价单" in text
    command = [shutil.which("pdffonts") or "pdffonts", str(tmp_path / "q.pdf")]
    fonts = subprocess.run(command, capture_output=True, check=True).stdout.decode()  # noqa: S603
    assert "CJK" in fonts


def test_sent_quotes_past_validity_expire(users, company):
    import datetime

    from crm.quotes.tasks import quotes_expire_task

    quote = services.quote_create(
        actor=users.owner, data={"company": company, "valid_until": datetime.date(2020, 1, 1)}, lines=[_line()]
    )
    fresh = services.quote_create(actor=users.owner, data={"company": company}, lines=[_line()])
    services.quote_send(quote=quote, actor=users.owner)
    services.quote_send(quote=fresh, actor=users.owner)
    assert quotes_expire_task() == 1
    quote.refresh_from_db()
    fresh.refresh_from_db()
    assert quote.status == "expired" and fresh.status == "sent"
    assert services.quote_revise(quote=quote, actor=users.owner).revision == 2


def test_approver_and_owner_are_notified(users, company, django_capture_on_commit_callbacks):
    from django.apps import apps

    if not apps.is_installed("crm.notifications"):
        pytest.skip("the notifications app is not installed")
    from crm.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_create(
            actor=users.owner, data={"company": company}, lines=[_line(discount_percent="40")]
        )
    note = Notification.objects.get(user=users.manager)
    assert (
        note.kind == "quote_approval"
        and quote.display_number in note.title
        and note.url.endswith(f"/sales/quotes/{quote.pk}/")
    )
    with django_capture_on_commit_callbacks(execute=True):
        approvals.quote_approve(quote=quote, actor=users.manager, comment="ok")
    assert Notification.objects.get(user=users.owner).kind == "quote_decision"
