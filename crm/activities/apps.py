from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view", "add", "change", "delete"],
    # After-sales and marketing staff talk to customers too: they log what happened.
    "service_agent": ["view", "add", "change"],
    "marketing": ["view", "add", "change", "export"],
}


class ActivitiesConfig(AppConfig):
    name = "crm.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from crm.contacts.models import Company, Contact
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav, register_record_type
        from crm.core.search import search_text_matches
        from crm.core.timeline import register_key_figure, register_quick_action, register_timeline_source
        from crm.deals.models import Deal
        from crm.leads.models import Lead

        from . import panels
        from .api.views import ActivityViewSet
        from .models import Activity

        register_record_type(
            Activity,
            # Subject, place and call outcome in their searchable forms (pinyin too),
            # matched like leads and contacts (a trigram index on PostgreSQL).
            search_fields=("search_text",),
            search=search_text_matches,
            icon="calendar",
            list_url_name="activities:activity_list",
            grants=RECORD_GRANTS,
        )
        register_timeline_source(panels.activities_timeline, models=[Company, Contact, Deal, Lead])
        for model in (Company, Contact, Deal, Lead):
            register_quick_action(model, panels.log_call)
            register_quick_action(model, panels.add_note)
            register_quick_action(model, panels.add_task)
        register_quick_action(Activity, panels.mark_done)
        for model in (Company, Contact, Deal, Lead):
            register_key_figure(model, panels.last_contact)
            register_key_figure(model, panels.days_since_last_contact)
        router.register("activities", ActivityViewSet, basename="activity")
        register_nav(
            NavItem(
                label=_("Activities"),
                url_name="activities:activity_list",
                icon="calendar",
                permission="activities.view_activity",
                order=55,
            )
        )
