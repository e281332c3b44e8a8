from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "crm.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from crm.core.registry import NavItem, register_nav

        register_nav(
            NavItem(
                label=_("Audit log"), url_name="audit:log", icon="list", section="admin", admin_only=True, order=240
            )
        )
