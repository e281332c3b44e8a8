from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Permissions come from the user's role; an administrator role holds them all."""

    def _get_group_permissions(self, user_obj):
        if user_obj.role_id is None:
            return Permission.objects.none()
        return Permission.objects.filter(role=user_obj.role_id)

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_active and not user_obj.is_anonymous and user_obj.role_id and user_obj.role.is_admin:
            if not hasattr(user_obj, "_crm_all_perms"):
                user_obj._crm_all_perms = {
                    f"{ct}.{name}" for ct, name in Permission.objects.values_list("content_type__app_label", "codename")
                }
            return user_obj._crm_all_perms
        return super().get_all_permissions(user_obj, obj)
