from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crm.core.tables import Column, Table, choice_label

from .models import Deal, DealSource, DealStatus


def money(value) -> str:
    """An amount with thousands separators and two decimals, in the user's locale."""
    if value is None or value == "":
        return ""
    return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


class DealTable(Table):
    model = Deal
    select_related = ("owner", "company", "pipeline", "stage")
    columns = [
        Column("name", _("Name"), link=True),
        Column("company", _("Company"), order_by="company__name"),
        Column("pipeline", _("Pipeline"), order_by="pipeline__position"),
        Column("stage", _("Stage"), order_by="stage__position"),
        Column("status", _("Status"), formatter=choice_label(DealStatus.choices)),
        Column("amount", _("Amount")),
        Column("currency", _("Currency")),
        Column("expected_close_date", _("Expected close date")),
        Column("next_step", _("Next step")),
        Column("next_step_date", _("Next step date")),
        Column("source", _("Source"), formatter=choice_label(DealSource.choices)),
        Column("close_reason", _("Win or loss reason"), orderable=False),
        Column("closed_at", _("Closed")),
        Column("stage_changed_at", _("In stage since")),
        Column("last_activity_at", _("Last activity")),
        Column("owner", _("Owner"), order_by="owner__username"),
        Column("created_at", _("Created")),
        Column("updated_at", _("Updated")),
    ]
    default_columns = ["name", "company", "stage", "amount", "currency", "expected_close_date", "owner"]
