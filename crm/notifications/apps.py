from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications (the bell) and the e-mail outbox. A platform app: any app
    may notify a user through ``crm.notifications.services``; it imports no domain app."""

    name = "crm.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from crm.core.api.router import router

        from .api.views import NotificationViewSet

        router.register("notifications", NotificationViewSet, basename="notification")
