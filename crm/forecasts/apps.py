from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Built-in role key -> quota permissions it gets once (an administrator may remove them).
QUOTA_GRANTS = {"sales_manager": ["view_quota", "add_quota", "change_quota", "delete_quota"]}


def grant_quota_permissions(sender=None, **kwargs) -> None:
    """Give the built-in roles their default quota permissions, once per role."""
    from django.contrib.auth.models import Permission

    from crm.accounts.models import Role

    for role_key, codenames in QUOTA_GRANTS.items():
        role = Role.objects.filter(key=role_key).first()
        if role is None:
            continue
        fresh = [c for c in codenames if f"forecasts.{c}" not in role.seeded_permissions]
        perms = list(Permission.objects.filter(content_type__app_label="forecasts", codename__in=fresh))
        if not fresh or len(perms) != len(fresh):
            continue
        role.permissions.add(*perms)
        role.seeded_permissions = sorted({*role.seeded_permissions, *(f"forecasts.{c}" for c in fresh)})
        role.save(update_fields=["seeded_permissions"])


class ForecastsConfig(AppConfig):
    name = "crm.forecasts"
    label = "forecasts"
    verbose_name = _("Forecast")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav

        from . import tasks  # noqa: F401 - registers the snapshot job and the beat task
        from .api.views import ForecastViewSet, FunnelViewSet, QuotaViewSet, SnapshotViewSet

        post_migrate.connect(grant_quota_permissions, sender=self)
        router.register("forecast", ForecastViewSet, basename="forecast")
        router.register("funnel", FunnelViewSet, basename="funnel")
        router.register("quotas", QuotaViewSet, basename="quota")
        router.register("forecast-snapshots", SnapshotViewSet, basename="forecastsnapshot")
        register_nav(
            NavItem(
                label=_("Forecast"),
                url_name="forecasts:forecast",
                icon="chart",
                permission="deals.view_deal",
                order=55,
                match_prefix="/forecasts/",
            )
        )
