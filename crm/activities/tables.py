from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Activity, ActivityKind, Priority


class ActivityTable(Table):
    model = Activity
    select_related = ("owner", "company", "contact", "deal", "lead")
    columns = [
        Column("subject", _("Subject"), link=True),
        Column("kind", _("Kind"), formatter=choice_label(ActivityKind.choices)),
        Column("occurred_at", _("When")),
        Column("due_at", _("Due")),
        Column("done", _("Done")),
        Column("priority", _("Priority"), formatter=choice_label(Priority.choices)),
        Column("company", _("Company"), order_by="company__name"),
        Column("contact", _("Contact"), order_by="contact__name"),
        Column("deal", _("Deal"), order_by="deal__name"),
        Column("lead", _("Lead"), order_by="lead__name"),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["subject", "kind", "occurred_at", "company", "contact", "deal", "owner"]
