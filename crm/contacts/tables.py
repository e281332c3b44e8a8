from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table

from .models import Company, Contact


class CompanyTable(Table):
    model = Company
    select_related = ("owner",)
    columns = [
        Column("name", _("Name"), link=True),
        Column("industry", _("Industry")),
        Column("phone", _("Phone")),
        Column("email", _("E-mail")),
        Column("registration_number", _("Registration number")),
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
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["name", "company", "email", "phone", "owner"]
