from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    "service_agent": ["view", "add", "change"],
    "marketing": ["view", "add", "change", "export"],
}


class ContactsConfig(AppConfig):
    name = "crm.contacts"
    label = "contacts"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm.core.registry import NavItem, register_nav, register_record_type

        from .models import Company, Contact
        from .selectors import records_search

        register_record_type(
            Company,
            search_fields=("search_text",),
            search=records_search,
            icon="building",
            list_url_name="contacts:company_list",
            grants=RECORD_GRANTS,
        )
        register_record_type(
            Contact,
            search_fields=("search_text",),
            search=records_search,
            icon="person",
            list_url_name="contacts:contact_list",
            grants=RECORD_GRANTS,
        )
        from crm.core.timeline import (
            register_key_figure,
            register_quick_action,
            register_related_panel,
            register_timeline_source,
        )

        from . import panels

        register_key_figure(Company, panels.customer_since)
        register_key_figure(Company, panels.company_contact_count)
        register_key_figure(Contact, panels.customer_since)
        for model in (Company, Contact):
            register_key_figure(model, panels.value_tier)
            register_key_figure(model, panels.lifetime_value)
        register_timeline_source(panels.tier_changes_source, models=[Company, Contact])
        register_quick_action(Company, panels.add_contact_at_company)
        register_related_panel(Company, _("Contacts"), panels.company_contacts)
        register_related_panel(Company, _("Subsidiaries"), panels.company_subsidiaries)
        register_related_panel(Contact, _("Colleagues"), panels.contact_colleagues)
        from crm.core.merge import register_merge_hook

        from .services import company_refresh_search_text, contact_refresh_search_text

        # A merge writes fields directly; the search column follows them.
        register_merge_hook(Company, company_refresh_search_text)
        register_merge_hook(Contact, contact_refresh_search_text)
        from crm.core.api.router import router

        from .api.tiers import TierViewSet
        from .api.views import CompanyViewSet, ContactViewSet

        router.register("companies", CompanyViewSet, basename="company")
        router.register("contacts", ContactViewSet, basename="contact")
        router.register("tiers", TierViewSet, basename="tier")
        register_nav(
            NavItem(
                label=_("Companies"),
                url_name="contacts:company_list",
                icon="building",
                permission="contacts.view_company",
                order=20,
            )
        )
        register_nav(
            NavItem(
                label=_("Value tiers"),
                url_name="contacts:tier_settings",
                icon="sliders",
                section="admin",
                admin_only=True,
                order=235,
            )
        )
        register_nav(
            NavItem(
                label=_("Contacts"),
                url_name="contacts:contact_list",
                icon="person",
                permission="contacts.view_contact",
                order=30,
            )
        )
