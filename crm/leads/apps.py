from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    "marketing": ["view", "add", "change", "export"],
}


class LeadsConfig(AppConfig):
    name = "crm.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from crm.core.api.router import router
        from crm.core.merge import register_merge_hook
        from crm.core.registry import NavItem, register_nav, register_record_type
        from crm.core.timeline import register_related_panel, register_timeline_source

        from .api.views import AssignmentRuleViewSet, LeadViewSet, WebFormViewSet
        from .filtersets import leads_search
        from .models import Lead
        from .selectors import duplicates_panel, duplicates_timeline
        from .services import lead_refresh_search_text

        register_record_type(
            Lead,
            search_fields=("search_text",),
            search=leads_search,
            icon="target",
            list_url_name="leads:lead_list",
            grants=RECORD_GRANTS,
        )
        register_merge_hook(Lead, lead_refresh_search_text)
        register_related_panel(Lead, _("Repeated submissions"), duplicates_panel)
        from crm.contacts.models import Contact

        from .selectors import contact_source_leads

        # On a contact's page only: a company's page is kept within its query budget
        # (crm/contacts/tests/test_360.py), and its contacts lead to their leads.
        register_related_panel(Contact, _("Leads it came from"), contact_source_leads)
        register_timeline_source(duplicates_timeline, models=[Lead])
        router.register("leads", LeadViewSet, basename="lead")
        router.register("lead-assignment-rules", AssignmentRuleViewSet, basename="assignmentrule")
        router.register("web-forms", WebFormViewSet, basename="webform")
        register_nav(
            NavItem(label=_("Leads"), url_name="leads:lead_list", icon="target", permission="leads.view_lead", order=40)
        )
        register_nav(
            NavItem(
                label=_("Web forms"),
                url_name="leads:webform_list",
                icon="form",
                section="admin",
                admin_only=True,
                order=240,
            )
        )
        register_nav(
            NavItem(
                label=_("Lead assignment"),
                url_name="leads:rule_list",
                icon="shuffle",
                section="admin",
                admin_only=True,
                order=241,
            )
        )
