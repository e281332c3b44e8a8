from __future__ import annotations

from django.db.models import QuerySet

from .models import Team, User


def team_subtree_ids(team_id: int) -> set[int]:
    """The team and every team below it. Teams are few, so one query reads them all."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Team.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [team_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def user_list(*, active_only: bool = True) -> QuerySet[User]:
    qs = User.objects.select_related("team", "role")
    return qs.filter(is_active=True) if active_only else qs


def team_members(*, team_ids) -> QuerySet[User]:
    return User.objects.filter(team_id__in=team_ids, is_active=True)
