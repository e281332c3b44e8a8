"""The record picker: a search-as-you-type choice instead of a list of every record."""

import pytest
from django.urls import reverse

from crm.contacts.models import Contact
from crm.contacts.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_contact_form_does_not_list_every_company(users, client_for):
    for i in range(30):
        CompanyFactory(owner=users.owner, name=f"Listed Co {i}")
    html = client_for(users.owner).get(reverse("contacts:contact_add")).content.decode()
    assert "Listed Co" not in html
    assert "data-picker" in html and reverse("core:record_lookup") in html


def test_lookup_finds_visible_records_only(users, client_for):
    mine = CompanyFactory(owner=users.owner, name="鼎盛贸易")
    hidden = CompanyFactory(owner=users.outsider, name="鼎盛物流")
    html = (
        client_for(users.owner)
        .get(reverse("core:record_lookup"), {"type": "contacts.company", "lookup_q": "鼎盛"})
        .content.decode()
    )
    assert f'data-pick-id="{mine.pk}"' in html and f'data-pick-id="{hidden.pk}"' not in html
    assert client_for(users.owner).get(reverse("core:record_lookup"), {"type": "nope.nope"}).status_code == 404


def test_chosen_company_is_saved_and_shown_when_editing(users, client_for):
    company = CompanyFactory(owner=users.owner, name="华信科技")
    client = client_for(users.owner)
    response = client.post(reverse("contacts:contact_add"), {"name": "王芳", "company": company.pk})
    assert response.status_code == 302
    contact = Contact.objects.get(name="王芳")
    assert contact.company == company
    edit = client.get(reverse("contacts:contact_edit", args=[contact.pk])).content.decode()
    assert 'value="华信科技"' in edit and f'value="{company.pk}"' in edit


def test_a_forged_company_id_is_refused(users, client_for):
    hidden = CompanyFactory(owner=users.outsider, name="Not yours")
    response = client_for(users.owner).post(reverse("contacts:contact_add"), {"name": "X", "company": hidden.pk})
    assert response.status_code == 400
    assert not Contact.objects.filter(name="X").exists()
    # The form comes back with the id, but never with the hidden company's name.
    assert "Not yours" not in response.content.decode()
    prefilled = client_for(users.owner).get(reverse("contacts:contact_add"), {"company": hidden.pk})
    assert "Not yours" not in prefilled.content.decode()


def test_a_new_contact_can_start_from_its_company(users, client_for):
    company = CompanyFactory(owner=users.owner, name="华信科技")
    client = client_for(users.owner)
    page = client.get(reverse("contacts:company_detail", args=[company.pk])).content.decode()
    add_url = reverse("contacts:contact_add") + f"?company={company.pk}"
    assert add_url.replace("&", "&amp;") in page
    form = client.get(add_url).content.decode()
    assert 'value="华信科技"' in form and f'value="{company.pk}"' in form
