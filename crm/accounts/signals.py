from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from crm.audit.services import Action, audit_record
from crm.core.middleware import client_ip

from .models import User
from .services import login_record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    login_record(username=user.get_username(), ip=client_ip(request) if request else None, succeeded=True, user=user)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username", "")
    user = User.objects.filter(username__iexact=username).first() if username else None
    login_record(username=username, ip=client_ip(request) if request else None, succeeded=False, user=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=Action.LOGOUT, actor=user, instance=user)


@receiver(post_migrate)
def _ensure_builtin_roles(sender, **kwargs):
    from .roles import ensure_builtin_roles

    ensure_builtin_roles()
