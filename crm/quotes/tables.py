from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Quote, QuoteStatus


class QuoteTable(Table):
    model = Quote
    select_related = ("owner", "company", "contact", "deal")
    columns = [
        Column("number", _("Number"), link=True),
        Column("revision", _("Version")),
        Column("title", _("Title")),
        Column("status", _("Status"), formatter=choice_label(QuoteStatus.choices)),
        Column("company", _("Company"), order_by="company__name"),
        Column("contact", _("Contact"), order_by="contact__name"),
        Column("deal", _("Deal"), order_by="deal__name"),
        Column("total", _("Total")),
        Column("currency", _("Currency")),
        Column("valid_until", _("Valid until")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["number", "revision", "status", "company", "deal", "total", "currency", "valid_until", "owner"]
