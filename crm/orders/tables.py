from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Order, OrderStatus


class OrderTable(Table):
    model = Order
    select_related = ("owner", "company", "contact", "deal")
    default_sort = "-order_date"
    columns = [
        Column("number", _("Number"), link=True),
        Column("title", _("Title"), link=True),
        Column("company", _("Company"), order_by="company__name"),
        Column("contact", _("Contact"), order_by="contact__name"),
        Column("deal", _("Deal"), order_by="deal__name"),
        Column("order_date", _("Order date")),
        Column("status", _("Status"), formatter=choice_label(OrderStatus.choices)),
        Column("total", _("Total"), accessor="total_display", order_by="total"),
        Column("outstanding", _("Outstanding"), accessor="outstanding_display", orderable=False),
        Column("currency", _("Currency")),
        Column("customer_reference", _("Customer reference")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["number", "title", "company", "order_date", "status", "total", "outstanding", "owner"]
