from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "crm.accounts"
    label = "accounts"
    verbose_name = _("Users and teams")

    def ready(self) -> None:
        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav

        from . import signals  # noqa: F401
        from .api import schema  # noqa: F401  (registers the token scheme with the OpenAPI generator)
        from .api.views import TeamViewSet, UserViewSet

        router.register("users", UserViewSet, basename="user")
        router.register("teams", TeamViewSet, basename="team")
        register_nav(
            NavItem(
                label=_("Users"),
                url_name="accounts:user_list",
                icon="users",
                section="admin",
                admin_only=True,
                order=200,
            )
        )
        register_nav(
            NavItem(
                label=_("Teams"),
                url_name="accounts:team_list",
                icon="sitemap",
                section="admin",
                admin_only=True,
                order=210,
            )
        )
        register_nav(
            NavItem(
                label=_("Roles"),
                url_name="accounts:role_list",
                icon="shield",
                section="admin",
                admin_only=True,
                order=220,
            )
        )
