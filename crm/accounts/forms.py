from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _

from crm.core.middleware import client_ip

from .models import Role, Scope, Team, User
from .services import login_is_locked

TIME_ZONES = sorted(zoneinfo.available_timezones())


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts. Sign-in is locked for %(minutes)s minutes; try again later."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else None
        if login_is_locked(username=username, ip=ip):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
            )
        return super().clean()


def _time_zone_choices():
    return [("", _("Company default"))] + [(tz, tz) for tz in TIME_ZONES]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices, required=False)

    class Meta:
        model = User
        fields = ("full_name", "email", "phone", "language", "time_zone")


class UserAdminForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to keep the current password. A new user without one signs in after a reset."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices, required=False)

    class Meta:
        model = User
        fields = ("username", "full_name", "email", "phone", "team", "role", "language", "time_zone", "is_active")


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("name", "parent", "manager")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(is_active=True)
        if self.instance.pk:
            from .selectors import team_subtree_ids

            self.fields["parent"].queryset = Team.objects.exclude(pk__in=team_subtree_ids(self.instance.pk))


ACTION_LABELS = {
    "view": _("view"),
    "add": _("add"),
    "change": _("change"),
    "delete": _("delete"),
    "export": _("export"),
}


SCOPE_LABELS = {
    "read": _("%(records)s: read scope"),
    "write": _("%(records)s: write scope"),
}


def _permission_label(permission) -> str:
    action = permission.codename.split("_", 1)[0]
    model = permission.content_type.model_class()
    if model is None or action not in ACTION_LABELS:
        return permission.name
    return _("%(records)s: %(action)s") % {"records": model._meta.verbose_name_plural, "action": ACTION_LABELS[action]}


class RoleForm(forms.ModelForm):
    permissions = forms.ModelMultipleChoiceField(
        label=_("Permissions"),
        queryset=Permission.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Role
        fields = ("key", "name", "is_admin", "default_read_scope", "default_write_scope", "permissions")

    def __init__(self, *args, record_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = [rt.model._meta.app_label for rt in record_types]
        self.fields["permissions"].queryset = (
            Permission.objects.filter(content_type__app_label__in=labels)
            .select_related("content_type")
            .order_by("content_type__app_label", "content_type__model", "codename")
        )
        self.fields["permissions"].label_from_instance = _permission_label
        if self.instance.is_builtin:
            self.fields["key"].disabled = True
        self.record_types = list(record_types)
        existing = {s.record_type: s for s in self.instance.scopes.all()} if self.instance.pk else {}
        choices = [("", _("Role default")), *Scope.choices]
        for rt in self.record_types:
            current = existing.get(rt.label)
            for which in ("read", "write"):
                name = f"scope_{which}_{rt.label}"
                self.fields[name] = forms.ChoiceField(
                    label=SCOPE_LABELS[which] % {"records": rt.verbose_name_plural},
                    choices=choices,
                    required=False,
                    initial=getattr(current, f"{which}_scope", "") if current else "",
                )

    def scope_values(self) -> dict[str, tuple[str, str]]:
        scopes = {}
        for rt in self.record_types:
            read = self.cleaned_data.get(f"scope_read_{rt.label}") or ""
            write = self.cleaned_data.get(f"scope_write_{rt.label}") or ""
            if read or write:
                scopes[rt.label] = (
                    read or self.cleaned_data["default_read_scope"],
                    write or self.cleaned_data["default_write_scope"],
                )
        return scopes


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
