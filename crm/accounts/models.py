from __future__ import annotations

import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """How far a role reaches for one record type, widest last."""

    NONE = "none", _("None")
    OWN = "own", _("Own records")
    TEAM = "team", _("My team")
    TEAM_AND_BELOW = "team_and_below", _("My team and the teams below it")
    ALL = "all", _("All records")


SCOPE_RANK = {Scope.NONE: 0, Scope.OWN: 1, Scope.TEAM: 2, Scope.TEAM_AND_BELOW: 3, Scope.ALL: 4}


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent team"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A team cannot be placed below itself.")})
            seen.add(node.pk)
            node = node.parent


class Role(models.Model):
    BUILTIN_NAMES = {
        "administrator": _("Administrator"),
        "sales_manager": _("Sales manager"),
        "sales_rep": _("Sales rep"),
        "service_agent": _("Service agent"),
        "marketing": _("Marketing"),
    }

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_builtin = models.BooleanField(default=False, editable=False)
    is_admin = models.BooleanField(
        _("administrator"), default=False, help_text=_("Holds every permission and sees every record.")
    )
    permissions = models.ManyToManyField(Permission, blank=True, verbose_name=_("permissions"))
    default_read_scope = models.CharField(
        _("default read scope"), max_length=20, choices=Scope.choices, default=Scope.OWN
    )
    default_write_scope = models.CharField(
        _("default write scope"), max_length=20, choices=Scope.choices, default=Scope.OWN
    )
    # Default grants already given to a built-in role, so that a grant an admin
    # later removed is not given back when the next upgrade migrates.
    seeded_permissions = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return str(self.display_name)

    @property
    def display_name(self):
        # A built-in role shows its translated name until an admin renames it.
        from .roles import BUILTIN_ROLES

        default = BUILTIN_ROLES.get(self.key, {}).get("name")
        if self.is_builtin and self.key in self.BUILTIN_NAMES and self.name == default:
            return self.BUILTIN_NAMES[self.key]
        return self.name


class RoleScope(models.Model):
    """A role's read and write reach for one record type (``app_label.model``)."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="scopes")
    record_type = models.CharField(_("record type"), max_length=100)
    read_scope = models.CharField(_("read"), max_length=20, choices=Scope.choices)
    write_scope = models.CharField(_("write"), max_length=20, choices=Scope.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "record_type"], name="rolescope_unique")]
        verbose_name = _("record scope")
        verbose_name_plural = _("record scopes")

    def __str__(self) -> str:
        return f"{self.role} {self.record_type}: {self.read_scope}/{self.write_scope}"

    def clean(self) -> None:
        if SCOPE_RANK[Scope(self.write_scope)] > SCOPE_RANK[Scope(self.read_scope)]:
            raise ValidationError(_("The write scope cannot reach further than the read scope."))


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value}) from None


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    preferences = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_crm_admin(self) -> bool:
        return self.is_superuser or bool(self.role_id and self.role.is_admin)


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginAttempt(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {'ok' if self.succeeded else 'failed'}"
