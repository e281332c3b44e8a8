"""The quote pages: new quote from a deal (prefilled), the line editor's server-side
totals and per-line errors, the 360 panel and quick actions, settings and the logo."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.contacts.tests.factories import CompanyFactory
from crm.deals.tests.factories import DealFactory
from crm.products.tests.factories import ProductFactory
from crm.quotes.models import Quote, QuoteSettings

pytestmark = pytest.mark.django_db


def _png(size=(40, 20)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 58, 138)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_new_quote_from_a_deal_is_prefilled_and_saved_with_server_totals(users, client_for):
    company = CompanyFactory(owner=users.owner)
    deal = DealFactory(owner=users.owner, company=company, currency="USD")
    client = client_for(users.owner)
    deal_page = client.get(deal.get_absolute_url()).content.decode()
    assert reverse("quotes:quote_add") + f"?deal={deal.pk}" in deal_page
    form = client.get(reverse("quotes:quote_add"), {"deal": deal.pk, "currency": "USD"})
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="USD"' in html and f'value="{company.pk}"' in html
    product = ProductFactory(owner=users.admin, currency="USD", list_price="10.00")
    post = {
        "deal": deal.pk,
        "company": company.pk,
        "currency": "USD",
        "language": "en",
        "title": "Phase 1",
        "line-product": [product.pk, ""],
        "line-description": ["", "Installation"],
        "line-quantity": ["3", "1"],
        "line-unit": ["", "day"],
        "line-unit_price": ["10.005", "500"],
        "line-discount_percent": ["0", "10"],
        "line-tax_rate": ["", "6"],
        "line-price_source": ["List price", ""],
    }
    response = client.post(reverse("quotes:quote_add"), post)
    assert response.status_code == 302, response.content.decode()[:3000]
    quote = Quote.objects.get()
    # 3 x 10.005 = 30.015 -> 30.02; +13% = 3.90 (product's rate); 500 - 50 = 450 + 27.00
    assert [str(x.total) for x in quote.lines.all()] == ["33.9200", "477.0000"]
    assert str(quote.total) == "510.9200" and quote.status == "draft"  # 10% is within the default 15%
    panel = client.get(reverse("quotes:quote_panel", args=[quote.pk])).content.decode()
    assert "510.92" in panel


def test_bad_lines_are_shown_per_line_and_nothing_is_saved(users, client_for):
    company = CompanyFactory(owner=users.owner)
    post = {
        "company": company.pk,
        "currency": "CNY",
        "language": "en",
        "line-description": ["Good", "Bad"],
        "line-quantity": ["1", "lots"],
        "line-unit_price": ["1", "1"],
    }
    response = client_for(users.owner).post(reverse("quotes:quote_add"), post)
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert not Quote.objects.exists()


def test_settings_logo_must_be_a_small_png_or_jpeg(users, client_for, settings):
    client = client_for(users.admin)
    url = reverse("quotes:quote_settings")
    assert client_for(users.owner).get(url).status_code == 403
    base = {"max_discount_without_approval": "12", "default_validity_days": "30", "company_name": "Cloudbridge"}
    fake = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    assert client.post(url, {**base, "logo": fake}).status_code == 400
    gif = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    assert client.post(url, {**base, "logo": SimpleUploadedFile("l.gif", gif.getvalue())}).status_code == 400
    ok = client.post(url, {**base, "logo": SimpleUploadedFile("logo.png", _png(), content_type="image/png")})
    assert ok.status_code == 302
    row = QuoteSettings.load()
    assert str(row.max_discount_without_approval) == "12.00" and row.logo.name.endswith(".png")


def test_logo_size_limit(users, client_for, settings):
    settings.QUOTE_LOGO_MAX_BYTES = 2048
    from PIL import Image

    noisy = io.BytesIO()
    Image.effect_noise((200, 200), 100).convert("RGB").save(noisy, format="PNG")
    assert len(noisy.getvalue()) > 2048
    response = client_for(users.admin).post(
        reverse("quotes:quote_settings"),
        {
            "max_discount_without_approval": "15",
            "default_validity_days": "30",
            "logo": SimpleUploadedFile("a.png", noisy.getvalue()),
        },
    )
    assert response.status_code == 400 and "at most 2 KB" in response.content.decode()


def test_product_pages_and_setup(users, client_for):
    ProductFactory(owner=users.admin, sku="NET-AP6", name="Access point", name_zh="无线接入点")
    client = client_for(users.owner)
    listing = client.get(reverse("products:product_list"), {"q": "无线"}).content.decode()
    assert "NET-AP6" in listing
    lookup = client.get(reverse("products:product_lookup"), {"q": "ap6", "language": "zh-hans"}).json()
    assert lookup["results"][0]["description"] == "无线接入点"
    assert client.get(reverse("products:setup_list", args=["pricelist"])).status_code == 403
    admin = client_for(users.admin)
    for kind in ("category", "pricelist", "volumediscount"):
        assert admin.get(reverse("products:setup_list", args=[kind])).status_code == 200
        assert admin.get(reverse("products:setup_add", args=[kind])).status_code == 200
    assert admin.get("/catalog/products/setup/nope/").status_code == 404


def test_email_the_pdf_to_the_contact_marks_it_sent(users, client_for, mailoutbox):
    from django.apps import apps

    if not apps.is_installed("crm.emails"):
        pytest.skip("the e-mail app is not installed")
    from crm.contacts.tests.factories import ContactFactory
    from crm.quotes import services

    company = CompanyFactory(owner=users.owner)
    contact = ContactFactory(owner=users.owner, company=company, email="wang.fang@example.com")
    line = {"description": "Cloud server", "quantity": "1", "unit_price": "100"}
    waiting = services.quote_create(
        actor=users.owner, data={"company": company, "contact": contact}, lines=[{**line, "discount_percent": "50"}]
    )
    client = client_for(users.owner)
    client.post(reverse("quotes:quote_email", args=[waiting.pk]))
    assert len(mailoutbox) == 0  # waiting for approval: not sent
    quote = services.quote_create(actor=users.owner, data={"company": company, "contact": contact}, lines=[line])
    assert client_for(users.teammate).post(reverse("quotes:quote_email", args=[quote.pk])).status_code == 403
    response = client.post(reverse("quotes:quote_email", args=[quote.pk]))
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to[0].endswith("<wang.fang@example.com>")
    name, content, mimetype = message.attachments[0]
    assert name == f"{quote.display_number}.pdf" and mimetype == "application/pdf" and content.startswith(b"%PDF")
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_edit_is_offered_only_while_the_quote_can_be_edited(users, client_for):
    from crm.quotes import services

    company = CompanyFactory(owner=users.owner)
    quote = services.quote_create(
        actor=users.owner,
        data={"company": company},
        lines=[{"description": "Cloud server", "quantity": "1", "unit_price": "100"}],
    )
    client = client_for(users.owner)
    edit = reverse("quotes:quote_edit", args=[quote.pk])
    assert f'href="{edit}"' in client.get(quote.get_absolute_url()).content.decode()
    Quote.objects.filter(pk=quote.pk).update(status="sent")
    assert f'href="{edit}"' not in client.get(quote.get_absolute_url()).content.decode()
