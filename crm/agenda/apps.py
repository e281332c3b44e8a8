from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "crm.agenda"
    label = "agenda"
    verbose_name = _("Agenda")

    def ready(self) -> None:
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav

        from .api.views import CalendarEventViewSet, MyDayViewSet

        router.register("my-day", MyDayViewSet, basename="my-day")
        router.register("calendar/events", CalendarEventViewSet, basename="calendar-event")
        # Right after the dashboard: the page a rep opens first each morning.
        register_nav(
            NavItem(
                label=_("My day"),
                url_name="agenda:my_day",
                icon="sun",
                permission="activities.view_activity",
                order=1,
            )
        )
        register_nav(
            NavItem(
                label=_("Calendar"),
                url_name="agenda:calendar",
                icon="calendar",
                permission="activities.view_activity",
                order=2,
            )
        )
