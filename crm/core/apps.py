from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import lookups, tasks  # noqa: F401 - the any_of lookup; the job kinds and their names
        from .api.jobs import JobViewSet
        from .api.router import router
        from .api.segments import SegmentViewSet
        from .registry import NavItem, register_nav

        router.register("segments", SegmentViewSet, basename="segment")
        router.register("jobs", JobViewSet, basename="job")

        register_nav(NavItem(label=_("Dashboard"), url_name="core:dashboard", icon="home", order=0))
        register_nav(
            NavItem(label=_("Recycle bin"), url_name="core:recycle_bin", icon="trash", section="tools", order=150)
        )
        register_nav(
            NavItem(label=_("Background jobs"), url_name="core:job_list", icon="clock", section="tools", order=160)
        )
        register_nav(
            NavItem(
                label=_("Custom fields"),
                url_name="core:customfield_list",
                icon="sliders",
                section="admin",
                admin_only=True,
                order=230,
            )
        )
