from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuplicatesConfig(AppConfig):
    name = "crm.duplicates"
    label = "duplicates"
    verbose_name = _("Duplicates")

    def ready(self) -> None:
        from crm.contacts.models import Company, Contact
        from crm.core.api.router import router
        from crm.core.merge import register_merge_hook
        from crm.core.registry import NavItem, register_nav

        from . import tasks  # noqa: F401  (registers the job's label)
        from .api.views import DuplicatePairViewSet
        from .services import pairs_after_merge

        register_merge_hook(Company, pairs_after_merge)
        register_merge_hook(Contact, pairs_after_merge)
        router.register("duplicates", DuplicatePairViewSet, basename="duplicatepair")
        register_nav(
            NavItem(
                label=_("Duplicates"),
                url_name="duplicates:review",
                icon="copy",
                permission="contacts.change_contact",
                section="tools",
                order=145,
            )
        )
