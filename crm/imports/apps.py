from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "crm.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav

        from . import tasks  # noqa: F401 - registers the job kind
        from .api.views import ImportViewSet

        router.register("imports", ImportViewSet, basename="importrun")
        register_nav(
            NavItem(label=_("Imports"), url_name="imports:import_list", icon="upload", section="tools", order=160)
        )
