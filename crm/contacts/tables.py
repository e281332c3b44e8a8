from django.conf import settings
from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Company, CompanySize, CompanySource, Contact, Tier


def _joined(values) -> str:
    return ", ".join(values or [])


class CompanyTable(Table):
    model = Company
    select_related = ("owner", "parent")
    columns = [
        Column("name", _("Name"), link=True),
        Column("industry", _("Industry")),
        Column("phone", _("Phone")),
        Column("email", _("E-mail")),
        Column("registration_number", _("Registration number")),
        Column("size", _("Size"), formatter=choice_label(CompanySize.choices)),
        Column("source", _("Source"), formatter=choice_label(CompanySource.choices)),
        Column("region", _("Region")),
        Column("address", _("Address")),
        Column("parent", _("Parent company"), order_by="parent__name"),
        Column("tier", _("Tier"), formatter=choice_label(Tier.choices)),
        Column("lifetime_value", _("Lifetime value")),
        Column("last_activity_at", _("Last activity")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["name", "industry", "phone", "owner", "created_at"]


class ContactTable(Table):
    model = Contact
    select_related = ("owner", "company")
    columns = [
        Column("name", _("Name"), link=True),
        Column("title", _("Job title")),
        Column("company", _("Company"), order_by="company__name"),
        Column("email", _("E-mail")),
        Column("phone", _("Phone")),
        Column("emails", _("Other e-mails"), orderable=False, formatter=_joined),
        Column("phones", _("Other phones"), orderable=False, formatter=_joined),
        Column("birthday", _("Birthday")),
        Column("preferred_language", _("Preferred language"), formatter=choice_label(settings.LANGUAGES)),
        Column("marketing_consent", _("Marketing consent")),
        Column("consent_date", _("Consent date")),
        Column("tier", _("Tier"), formatter=choice_label(Tier.choices)),
        Column("lifetime_value", _("Lifetime value")),
        Column("last_activity_at", _("Last activity")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["name", "company", "email", "phone", "owner"]
