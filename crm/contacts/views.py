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
    detail_fields=[*Company.EDITABLE_FIELDS, "created_at", "updated_at"],
)
contact_pages = RecordPages(
    model=Contact,
    filterset=ContactFilterSet,
    table=ContactTable,
    form=ContactForm,
    create=services.contact_create,
    update=services.contact_update,
    detail_fields=[*Contact.EDITABLE_FIELDS, "created_at", "updated_at"],
)
