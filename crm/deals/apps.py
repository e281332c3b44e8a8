from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    "service_agent": ["view"],
    "marketing": ["view", "export"],
}


class DealsConfig(AppConfig):
    name = "crm.deals"
    label = "deals"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from crm.core.registry import NavItem, register_nav, register_record_type

        from .filtersets import deals_search
        from .models import Deal

        register_record_type(
            Deal,
            search_fields=("search_text",),
            search=deals_search,
            icon="target",
            list_url_name="deals:deal_list",
            grants=RECORD_GRANTS,
        )
        from crm.contacts.models import Company, Contact
        from crm.core.timeline import register_key_figure, register_related_panel, register_timeline_source

        from . import panels

        for model in (Company, Contact):
            register_key_figure(model, panels.open_deals)
            register_key_figure(model, panels.lifetime_won)
            register_related_panel(model, _("Deals"), panels.related_deals)
        register_timeline_source(panels.stage_moves, models=[Company, Contact, Deal])
        from crm.core.purchases import register_purchase_source

        from .purchases import won_deal_purchases

        # Until orders and payments land, a won deal is what a customer bought.
        register_purchase_source(won_deal_purchases)
        from crm.core.merge import register_merge_hook

        from .services import deal_sync_after_merge

        # A merge writes fields directly; status and pipeline follow the stage kept.
        register_merge_hook(Deal, deal_sync_after_merge)
        from crm.core.api.router import router

        from .api.views import DealViewSet, PipelineViewSet, StageViewSet

        router.register("deals", DealViewSet, basename="deal")
        router.register("pipelines", PipelineViewSet, basename="pipeline")
        router.register("stages", StageViewSet, basename="stage")
        register_nav(
            NavItem(label=_("Deals"), url_name="deals:deal_list", icon="target", permission="deals.view_deal", order=50)
        )
        register_nav(
            NavItem(
                label=_("Deals board"), url_name="deals:board", icon="columns", permission="deals.view_deal", order=51
            )
        )
        register_nav(
            NavItem(
                label=_("Stale deals"),
                url_name="deals:stale_deals",
                icon="alert",
                permission="deals.view_deal",
                order=52,
            )
        )
        register_nav(
            NavItem(
                label=_("Pipelines"),
                url_name="deals:pipeline_list",
                icon="columns",
                section="admin",
                admin_only=True,
                order=240,
            )
        )
