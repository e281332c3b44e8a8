"""The built-in roles and the permissions each gets by default.

Each record type declares its default grants when it registers (see
crm.core.registry); this module creates the roles and hands out the grants once.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction

from .models import Role, Scope

BUILTIN_ROLES: dict[str, dict] = {
    "administrator": {"name": "Administrator", "is_admin": True, "read": Scope.ALL, "write": Scope.ALL},
    "sales_manager": {"name": "Sales manager", "read": Scope.TEAM_AND_BELOW, "write": Scope.TEAM_AND_BELOW},
    "sales_rep": {"name": "Sales rep", "read": Scope.TEAM, "write": Scope.OWN},
    "service_agent": {"name": "Service agent", "read": Scope.ALL, "write": Scope.OWN},
    "marketing": {"name": "Marketing", "read": Scope.ALL, "write": Scope.OWN},
}


@transaction.atomic
def ensure_builtin_roles() -> None:
    from crm.core.registry import record_types

    roles = {}
    for key, spec in BUILTIN_ROLES.items():
        role, _created = Role.objects.get_or_create(
            key=key,
            defaults={
                "name": spec["name"],
                "is_builtin": True,
                "is_admin": spec.get("is_admin", False),
                "default_read_scope": spec["read"],
                "default_write_scope": spec["write"],
            },
        )
        roles[key] = role
    for record_type in record_types():
        opts = record_type.model._meta
        for role_key, actions in record_type.grants.items():
            role = roles.get(role_key)
            if role is None:
                continue
            wanted = [f"{action}_{opts.model_name}" for action in actions]
            fresh = [code for code in wanted if f"{opts.app_label}.{code}" not in role.seeded_permissions]
            if not fresh:
                continue
            perms = list(Permission.objects.filter(content_type__app_label=opts.app_label, codename__in=fresh))
            if len(perms) != len(fresh):
                continue  # permissions for this app are not created yet; next migrate
            role.permissions.add(*perms)
            role.seeded_permissions = sorted({*role.seeded_permissions, *(f"{opts.app_label}.{c}" for c in fresh)})
            role.save(update_fields=["seeded_permissions"])
