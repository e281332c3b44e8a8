from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EmailsConfig(AppConfig):
    name = "crm.emails"
    label = "emails"
    verbose_name = pgettext_lazy("e-mail message", "E-mail")

    def ready(self) -> None:
        from crm.activities.models import Activity
        from crm.contacts.models import Contact
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav
        from crm.core.timeline import register_quick_action, register_related_panel
        from crm.deals.models import Deal

        from . import panels
        from .api.views import EmailMessageViewSet, EmailTemplateViewSet

        register_quick_action(Contact, panels.send_email_to_contact)
        register_quick_action(Deal, panels.send_email_on_deal)
        register_related_panel(Activity, pgettext_lazy("e-mail message", "E-mail"), panels.email_of_activity)
        router.register("email-templates", EmailTemplateViewSet, basename="emailtemplate")
        router.register("emails", EmailMessageViewSet, basename="emailmessage")
        register_nav(
            NavItem(
                label=_("E-mail templates"),
                url_name="emails:template_list",
                icon="mail",
                permission="activities.add_activity",
                order=56,
                match_prefix="/emails/",
            )
        )
