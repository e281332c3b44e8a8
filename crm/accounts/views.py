from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from crm.core.errors import ServiceError
from crm.core.registry import record_types

from . import services
from .forms import LoginForm, ProfileForm, RoleForm, TeamForm, TokenForm, UserAdminForm
from .models import ApiToken, Role, Team, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def set_language(request):
    """Switch the interface language; a signed-in user keeps the choice in the profile."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.method == "POST" and request.user.is_authenticated and language in {"en", "zh-hans"}:
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


def _apply_service_errors(form, exc: ServiceError) -> None:
    for name, msgs in exc.fields.items():
        for message in msgs:
            form.add_error(name if name in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, str(exc.message))


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=request.user, data=form.cleaned_data)
        except ServiceError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            response = HttpResponseRedirect(reverse("accounts:profile"))
            if form.cleaned_data.get("language"):
                from django.conf import settings

                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
            return response
    tokens = ApiToken.objects.filter(user=request.user)
    new_key = request.session.pop("new_token_key", None)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "tokens": tokens, "token_form": TokenForm(), "new_key": new_key},
    )


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.token_create(user=request.user, name=form.cleaned_data["name"])
        request.session["new_token_key"] = key
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
    else:
        messages.error(request, _("Give the token a name."))
    return HttpResponseRedirect(reverse("accounts:profile") + "#tokens")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return HttpResponseRedirect(reverse("accounts:profile") + "#tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        from crm.audit.services import Action, audit_record

        audit_record(
            action=Action.UPDATE,
            actor=self.request.user,
            instance=self.request.user,
            changes=[{"field": "password", "old": "***", "new": "***"}],
        )
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from an e-mailed link is logged like any password change."""

    def form_valid(self, form):
        response = super().form_valid(form)
        from crm.audit.services import Action, audit_record

        audit_record(
            action=Action.UPDATE,
            actor=form.user,
            instance=form.user,
            changes=[{"field": "password", "old": "***", "new": "***"}],
            extra={"via": "reset_link"},
        )
        return response


# Administration ------------------------------------------------------------------


def _admin_only(request) -> None:
    if not request.user.is_crm_admin:
        raise PermissionDenied


@login_required
def user_list(request):
    _admin_only(request)
    users = User.objects.select_related("team", "role").order_by("username")
    return render(request, "accounts/user_list.html", {"users": users})


@login_required
def user_edit(request, pk: int | None = None):
    _admin_only(request)
    user = get_object_or_404(User, pk=pk) if pk else None
    form = UserAdminForm(request.POST or None, instance=User.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "password"}
        password = form.cleaned_data.get("password")
        try:
            if user is None:
                username = data.pop("username")
                user = services.user_create(actor=request.user, username=username, password=password, **data)
            else:
                services.user_update(actor=request.user, user=user, data=data)
                if password:
                    services.user_set_password(actor=request.user, user=user, password=password)
        except ServiceError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": user})
            return HttpResponseRedirect(reverse("accounts:user_list"))
    return render(
        request,
        "accounts/admin_form.html",
        {"form": form, "title": _("Edit user") if pk else _("New user"), "back": reverse("accounts:user_list")},
    )


@login_required
def team_list(request):
    _admin_only(request)
    teams = Team.objects.select_related("parent", "manager").order_by("name")
    return render(request, "accounts/team_list.html", {"teams": teams})


@login_required
def team_edit(request, pk: int | None = None):
    _admin_only(request)
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=Team.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_save(actor=request.user, team=team, data=form.cleaned_data)
        except ServiceError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team})
            return HttpResponseRedirect(reverse("accounts:team_list"))
    return render(
        request,
        "accounts/admin_form.html",
        {"form": form, "title": _("Edit team") if pk else _("New team"), "back": reverse("accounts:team_list")},
    )


@login_required
def role_list(request):
    _admin_only(request)
    roles = Role.objects.prefetch_related("permissions").order_by("name")
    return render(request, "accounts/role_list.html", {"roles": roles})


@login_required
def role_edit(request, pk: int | None = None):
    _admin_only(request)
    role = get_object_or_404(Role, pk=pk) if pk else None
    form = RoleForm(request.POST or None, instance=Role.objects.get(pk=pk) if pk else None, record_types=record_types())
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("name", "is_admin", "default_read_scope", "default_write_scope")}
        if role is None or not role.is_builtin:
            data["key"] = form.cleaned_data["key"]
        try:
            role = services.role_save(
                actor=request.user,
                role=role,
                data=data,
                permissions=form.cleaned_data["permissions"],
                scopes=form.scope_values(),
            )
        except ServiceError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("Role %(name)s saved.") % {"name": role})
            return HttpResponseRedirect(reverse("accounts:role_list"))
    return render(request, "accounts/role_form.html", {"form": form, "role": role})
