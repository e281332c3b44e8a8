from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "crm.demo"
    label = "demo"
    verbose_name = _("Demo data")

    def ready(self) -> None:
        from crm.core.registry import register_startup_note

        def demo_note() -> list[str]:
            from .management.commands.seed_demo import demo_logins

            logins = demo_logins()
            if not logins:
                return []
            lines = ["Demo logins (user name / password / role):"]
            lines += [f"  {username:<10} {password:<10} {role}" for username, password, role in logins]
            return lines

        register_startup_note(demo_note)
