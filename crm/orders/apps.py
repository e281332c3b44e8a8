from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    # After-sales staff look up what a customer bought and whether it is paid.
    "service_agent": ["view"],
}


class OrdersConfig(AppConfig):
    name = "crm.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from crm.contacts.models import Company, Contact
        from crm.core.api.router import router
        from crm.core.merge import register_merge_hook
        from crm.core.purchases import register_purchase_source
        from crm.core.registry import NavItem, register_nav, register_record_type
        from crm.core.search import document_number_matches
        from crm.core.timeline import register_key_figure, register_quick_action, register_timeline_source
        from crm.deals.models import Deal

        from . import panels
        from .api.views import OrderViewSet, ReceivablesViewSet
        from .models import Order
        from .purchases import order_purchases
        from .services import order_refuse_merge

        register_record_type(
            Order,
            search_fields=("number", "title"),
            search=document_number_matches,
            icon="cart",
            list_url_name="orders:order_list",
            grants=RECORD_GRANTS,
        )
        register_timeline_source(panels.orders_timeline, models=[Company, Contact, Deal])
        for model in (Company, Contact):
            register_key_figure(model, panels.outstanding_figure)
            register_key_figure(model, panels.overdue_figure)
        register_quick_action(Deal, panels.create_order_from_deal)
        register_purchase_source(order_purchases)
        register_merge_hook(Order, order_refuse_merge)
        router.register("orders", OrderViewSet, basename="order")
        router.register("receivables", ReceivablesViewSet, basename="receivables")
        register_nav(
            NavItem(
                label=_("Orders"), url_name="orders:order_list", icon="cart", permission="orders.view_order", order=70
            )
        )
        register_nav(
            NavItem(
                label=_("Receivables"),
                url_name="orders:receivables",
                icon="coins",
                permission="orders.view_order",
                order=71,
            )
        )
