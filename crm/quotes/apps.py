from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    "service_agent": ["view"],
}


class QuotesConfig(AppConfig):
    name = "crm.quotes"
    label = "quotes"
    verbose_name = _("Quotes")

    def ready(self) -> None:
        from crm.contacts.models import Company, Contact
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav, register_record_type
        from crm.core.search import document_number_matches
        from crm.core.timeline import register_quick_action, register_related_panel, register_timeline_source
        from crm.deals.models import Deal

        from . import panels, tasks  # noqa: F401 - tasks registers the expiry task
        from .api.views import QuoteViewSet
        from .models import Quote

        register_record_type(
            Quote,
            search_fields=("number", "title"),
            search=document_number_matches,
            icon="file",
            list_url_name="quotes:quote_list",
            grants=RECORD_GRANTS,
        )
        router.register("quotes", QuoteViewSet, basename="quote")
        register_timeline_source(panels.quotes_timeline, models=[Company, Contact, Deal])
        register_related_panel(Deal, _("Quotes"), panels.deal_quotes_panel)
        for model in (Deal, Company, Contact):
            register_quick_action(model, panels.new_quote)
        register_nav(
            NavItem(
                label=_("Quotes"),
                url_name="quotes:quote_list",
                icon="file",
                permission="quotes.view_quote",
                order=71,
                match_prefix="/sales/quotes/",
            )
        )
        register_nav(
            NavItem(
                label=_("Quote settings"),
                url_name="quotes:quote_settings",
                icon="settings",
                section="admin",
                admin_only=True,
                order=245,
            )
        )
