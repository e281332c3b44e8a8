"""Writes for users, teams, roles, tokens and sign-in tracking."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.services import Action, audit_record, diff, snapshot
from crm.core.errors import PermissionDeniedError, ValidationFailed

from .models import SCOPE_RANK, ApiToken, LoginAttempt, Role, RoleScope, Scope, Team, User

PROFILE_FIELDS = ("full_name", "email", "phone", "language", "time_zone")
ADMIN_USER_FIELDS = (*PROFILE_FIELDS, "username", "team", "role", "is_active")
PERMISSION_FIELDS = {"team", "role", "is_active", "is_superuser"}


def _require_admin(actor) -> None:
    if actor is not None and not actor.is_crm_admin:
        raise PermissionDeniedError()


def _clean(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None


def _audit_user_changes(actor, user, changes) -> None:
    if not changes:
        return
    ordinary = [c for c in changes if c["field"] not in PERMISSION_FIELDS]
    permission = [c for c in changes if c["field"] in PERMISSION_FIELDS]
    if ordinary:
        audit_record(action=Action.UPDATE, actor=actor, instance=user, changes=ordinary)
    if permission:
        audit_record(action=Action.PERMISSION, actor=actor, instance=user, changes=permission)


# Users ---------------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor, username: str, password: str | None, **fields) -> User:
    _require_admin(actor)
    unknown = set(fields) - set(ADMIN_USER_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("Unknown field.")] for name in unknown})
    user = User(username=username, **fields)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(fields={"password": [str(m) for m in exc.messages]}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    _clean(user, exclude=["password"])
    user.save()
    audit_record(
        action=Action.CREATE,
        actor=actor,
        instance=user,
        changes=[{"field": k, "old": None, "new": v} for k, v in snapshot(user, list(fields)).items() if v],
    )
    return user


@transaction.atomic
def user_update(*, actor, user: User, data: dict) -> User:
    """An administrator edits any user; a user edits only their own profile fields."""
    allowed = ADMIN_USER_FIELDS if actor is None or actor.is_crm_admin else PROFILE_FIELDS
    if actor is not None and not actor.is_crm_admin and actor.pk != user.pk:
        raise PermissionDeniedError()
    refused = [name for name in data if name not in allowed]
    if refused:
        raise PermissionDeniedError(_("You may not change: %(fields)s") % {"fields": ", ".join(refused)})
    before = snapshot(user, list(data))
    for name, value in data.items():
        setattr(user, name, value)
    _clean(user, exclude=["password"])
    if actor is not None and actor.pk == user.pk and data.get("is_active") is False:
        raise ValidationFailed(fields={"is_active": [_("You cannot deactivate yourself.")]})
    user.save()
    _audit_user_changes(actor, user, diff(before, snapshot(user, list(data))))
    return user


def user_set_password(*, actor, user: User, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    if actor is not None and not actor.is_crm_admin and actor.pk != user.pk:
        raise PermissionDeniedError()
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"password": [str(m) for m in exc.messages]}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        action=Action.UPDATE, actor=actor, instance=user, changes=[{"field": "password", "old": "***", "new": "***"}]
    )


def user_set_preferences(*, user: User, key: str, value) -> None:
    """Per-user UI preferences (chosen columns and the like); not audited."""
    prefs = dict(user.preferences or {})
    prefs[key] = value
    User.objects.filter(pk=user.pk).update(preferences=prefs)
    user.preferences = prefs


# Teams ---------------------------------------------------------------------------


@transaction.atomic
def team_save(*, actor, team: Team | None = None, data: dict) -> Team:
    _require_admin(actor)
    creating = team is None
    team = team or Team()
    before = {} if creating else snapshot(team)
    for name, value in data.items():
        setattr(team, name, value)
    _clean(team)
    team.save()
    changes = (
        diff(before, snapshot(team))
        if not creating
        else [{"field": k, "old": None, "new": v} for k, v in snapshot(team).items() if v and k != "id"]
    )
    if changes:
        audit_record(
            action=Action.CREATE if creating else Action.PERMISSION, actor=actor, instance=team, changes=changes
        )
    return team


# Roles ---------------------------------------------------------------------------


@transaction.atomic
def role_save(
    *,
    actor,
    role: Role | None = None,
    data: dict,
    permissions: Iterable[Permission] | None = None,
    scopes: dict[str, tuple[str, str]] | None = None,
) -> Role:
    """Create or edit a role: its name, permissions, and per-record-type scopes.

    ``scopes`` is the role's whole set of overrides: a record type left out of it
    goes back to the role's default scopes.
    """
    _require_admin(actor)
    creating = role is None
    role = role or Role()
    if role.is_builtin and "key" in data and data["key"] != role.key:
        raise ValidationFailed(fields={"key": [_("A built-in role keeps its key.")]})
    before = {} if creating else snapshot(role)
    for name, value in data.items():
        setattr(role, name, value)
    if SCOPE_RANK[Scope(role.default_write_scope)] > SCOPE_RANK[Scope(role.default_read_scope)]:
        raise ValidationFailed(
            fields={"default_write_scope": [_("The write scope cannot reach further than the read scope.")]}
        )
    _clean(role)
    role.save()
    if creating:
        changes = [
            {"field": k, "old": None, "new": v}
            for k, v in snapshot(role).items()
            if k != "id" and v not in (None, "", [])
        ]
    else:
        changes = diff(before, snapshot(role))
    if permissions is not None:
        old = set() if creating else set(role.permissions.values_list("codename", flat=True))
        role.permissions.set(permissions)
        new = set(role.permissions.values_list("codename", flat=True))
        if old != new:
            changes.append({"field": "permissions", "old": sorted(old), "new": sorted(new)})
    if scopes is not None:
        old_scopes = {s.record_type: [s.read_scope, s.write_scope] for s in role.scopes.all()}
        for record_type, (read, write) in scopes.items():
            if SCOPE_RANK[Scope(write)] > SCOPE_RANK[Scope(read)]:
                raise ValidationFailed(
                    fields={f"scope.{record_type}": [_("The write scope cannot reach further than the read scope.")]}
                )
            RoleScope.objects.update_or_create(
                role=role, record_type=record_type, defaults={"read_scope": read, "write_scope": write}
            )
        role.scopes.exclude(record_type__in=list(scopes)).delete()
        new_scopes = {s.record_type: [s.read_scope, s.write_scope] for s in role.scopes.all()}
        if old_scopes != new_scopes:
            changes.append({"field": "scopes", "old": old_scopes, "new": new_scopes})
    if changes:
        audit_record(action=Action.PERMISSION, actor=actor, instance=role, changes=changes)
    return role


# API tokens ----------------------------------------------------------------------


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is not stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the token a name.")]})
    key = "crm_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:12], key_hash=ApiToken.hash_key(key))
    audit_record(
        action=Action.PERMISSION,
        actor=user,
        instance=user,
        changes=[{"field": "api_token", "old": None, "new": token.name}],
    )
    return token, key


def token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk and not user.is_crm_admin:
        raise PermissionDeniedError()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action=Action.PERMISSION,
            actor=user,
            instance=token.user,
            changes=[{"field": "api_token", "old": token.name, "new": None}],
        )


# Sign-in throttling --------------------------------------------------------------


def login_is_locked(*, username: str, ip: str | None, now: datetime.datetime | None = None) -> bool:
    since = (now or timezone.now()) - datetime.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    failures = LoginAttempt.objects.filter(created_at__gte=since, succeeded=False)
    limit = settings.LOGIN_FAILURE_LIMIT
    if username:
        # A successful sign-in clears the failures before it for that user name.
        last_success = (
            LoginAttempt.objects.filter(username__iexact=username, succeeded=True, created_at__gte=since)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        mine = failures.filter(username__iexact=username)
        if last_success is not None:
            mine = mine.filter(created_at__gt=last_success)
        if mine.count() >= limit:
            return True
    return bool(ip and failures.filter(ip=ip).count() >= limit)


def login_record(*, username: str, ip: str | None, succeeded: bool, user: User | None = None) -> None:
    LoginAttempt.objects.create(username=(username or "")[:150], ip=ip, succeeded=succeeded)
    if succeeded:
        audit_record(action=Action.LOGIN, actor=user, instance=user)
    else:
        audit_record(
            action=Action.LOGIN_FAILED,
            actor=user,
            actor_name=(username or "")[:150],
            object_repr=(username or "")[:150],
        )
