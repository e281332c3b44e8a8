from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Lead, LeadSource, LeadStatus


class LeadTable(Table):
    model = Lead
    select_related = ("owner", "web_form")
    columns = [
        Column("name", _("Name"), link=True),
        Column("company_name", _("Company name")),
        Column("title", _("Job title")),
        Column("email", _("E-mail")),
        Column("phone", _("Phone")),
        Column("region", _("Region")),
        Column("source", _("Source"), formatter=choice_label(LeadSource.choices)),
        Column("campaign", _("Campaign")),
        Column("status", _("Status"), formatter=choice_label(LeadStatus.choices)),
        Column("score", _("Score")),
        Column("web_form", _("Web form"), order_by="web_form__name"),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("last_activity_at", _("Last activity")),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["name", "company_name", "status", "source", "score", "owner", "created_at"]
