"""The one place that decides which records a user may read or change.

A role gives, per record type, a read scope and a write scope: own, team, team and
below, all (or none). ``visible_to`` turns that into a queryset filter; every list,
detail page, search, export, report and API endpoint starts from it. A record the
user may not read is answered with 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import Http404

from crm.accounts.models import SCOPE_RANK, Scope
from crm.accounts.selectors import team_subtree_ids

Action = Literal["read", "write"]


def _has_owner(model: type[Model]) -> bool:
    return any(f.name == "owner" for f in model._meta.get_fields())


def scope_for(user, model: type[Model], action: Action = "read") -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    cache = user.__dict__.setdefault("_crm_scope_cache", {})
    key = (model._meta.label_lower, action)
    if key in cache:
        return cache[key]
    role = user.role
    if role is None:
        scope = Scope.NONE
    elif role.is_admin:
        scope = Scope.ALL
    else:
        override = next((s for s in role.scopes.all() if s.record_type == model._meta.label_lower), None)
        if override is not None:
            scope = Scope(override.read_scope if action == "read" else override.write_scope)
        else:
            scope = Scope(role.default_read_scope if action == "read" else role.default_write_scope)
        if action == "write":
            # Nobody may change what they may not see.
            read = scope_for(user, model, "read")
            if SCOPE_RANK[scope] > SCOPE_RANK[read]:
                scope = read
    cache[key] = scope
    return scope


def _owner_ids_filter(user, scope: Scope):
    User = get_user_model()
    if scope == Scope.OWN:
        return {"owner_id": user.pk}
    if user.team_id is None:
        return {"owner_id": user.pk}
    # The owners as a list of ids, not a subquery: with a subquery PostgreSQL joins
    # the users first and runs the rest of the query (a trigram search, say) once per
    # team member. Read once per user object (a request, a job).
    cache = user.__dict__.setdefault("_crm_owner_ids", {})
    if scope not in cache:
        team_ids = [user.team_id] if scope == Scope.TEAM else sorted(team_subtree_ids(user.team_id))
        cache[scope] = sorted(User.objects.filter(team_id__in=team_ids).values_list("pk", flat=True))
    return {"owner_id__in": cache[scope]}


def visible_to(user, model_or_queryset, action: Action = "read") -> QuerySet:
    """The records of this type that ``user`` may read (or, with action="write", change)."""
    if isinstance(model_or_queryset, QuerySet):
        qs, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        qs = model._default_manager.all()
    scope = scope_for(user, model, action)
    if scope == Scope.NONE:
        return qs.none()
    if scope == Scope.ALL or not _has_owner(model):
        return qs
    return qs.filter(**_owner_ids_filter(user, scope))


def can_access(user, obj: Model, action: Action = "read") -> bool:
    scope = scope_for(user, type(obj), action)
    if scope == Scope.NONE:
        return False
    if scope == Scope.ALL or not _has_owner(type(obj)):
        return True
    owner_id = obj.owner_id
    if owner_id is None:
        return False
    if owner_id == user.pk:
        return True
    if scope == Scope.OWN or user.team_id is None:
        return False
    owner_team = get_user_model().objects.filter(pk=owner_id).values_list("team_id", flat=True).first()
    if owner_team is None:
        return False
    if scope == Scope.TEAM:
        return owner_team == user.team_id
    return owner_team in team_subtree_ids(user.team_id)


def get_visible_or_404(user, model_or_queryset, action: Action = "read", **lookup) -> Model:
    """Fetch one record the user may read; otherwise 404, whether it exists or not."""
    qs = visible_to(user, model_or_queryset, "read")
    try:
        obj = qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action == "write" and not can_access(user, obj, "write"):
        from crm.core.errors import PermissionDeniedError

        raise PermissionDeniedError()
    return obj


def visible_owner_ids(user, model: type[Model], action: Action = "read") -> list[int] | None:
    """The ids of the users whose records of this type ``user`` may read (or change):
    None when the scope is not limited by owner (all), [] when it is none. For pages
    that pick people ("my team") without working out scopes themselves."""
    scope = scope_for(user, model, action)
    if scope == Scope.NONE:
        return []
    if scope == Scope.ALL or not _has_owner(model):
        return None
    found = _owner_ids_filter(user, scope)
    return [found["owner_id"]] if "owner_id" in found else list(found["owner_id__in"])
