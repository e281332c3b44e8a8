from crm.core.views.generic import RecordPages

from . import services
from .filtersets import CompanyFilterSet, ContactFilterSet
from .forms import CompanyForm, ContactForm
from .models import Company, Contact
from .tables import CompanyTable, ContactTable

company_pages = RecordPages(
    model=Company,
    slug="companies",
    filterset=CompanyFilterSet,
    table=CompanyTable,
    form=CompanyForm,
    create=services.company_create,
    update=services.company_update,
    detail_fields=[
        "name",
        "registration_number",
        "industry",
        "size",
        "source",
        "parent",
        "phone",
        "email",
        "website",
        "region",
        "address",
        "owner",
        "created_at",
        "updated_at",
    ],
)
contact_pages = RecordPages(
    model=Contact,
    filterset=ContactFilterSet,
    table=ContactTable,
    form=ContactForm,
    create=services.contact_create,
    update=services.contact_update,
    detail_fields=[
        "name",
        "title",
        "company",
        "email",
        "phone",
        "emails",
        "phones",
        "birthday",
        "preferred_language",
        "marketing_consent",
        "consent_date",
        "consent_source",
        "owner",
        "created_at",
        "updated_at",
    ],
)
