"""Who owns a new lead that arrives without one.

``assign_owner_id`` is called by ``lead_create`` (pages, API, imports) and by web form
submissions. In order:

1. an owner given explicitly (a user creating a lead for someone);
2. the web form's own target: its owner, else the next member of its team;
3. the assignment rules by position: the first active rule whose region and source
   match gives the lead to its user, or to the next active member of its team.

Nothing matching leaves the lead without an owner (only users who see all leads see
it until someone takes it).

Round-robin keeps its position on the row that owns it (``last_assigned`` on the rule
or the form) and reads it under ``SELECT … FOR UPDATE``, so two leads created at the
same moment go to two different people instead of both to the same one.

The automation app will extend this: its rules ("when a lead is created and …, assign
round-robin to …") are meant to plug in as another step before 3 through
``register_assignment_step``, each step a callable ``(lead_data) -> User | None``,
without this module knowing about them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import AssignmentRule, WebForm

_extra_steps: list[Callable] = []


def register_assignment_step(step: Callable) -> None:
    """A callable ``(data: dict) -> User | None`` tried before the assignment rules."""
    if step not in _extra_steps:
        _extra_steps.append(step)


def _next_member_id(team_id: int, last_id: int | None) -> int | None:
    """The active team member after ``last_id`` in id order, wrapping around (one query:
    teams hold tens of people, not thousands)."""
    ids = list(
        get_user_model().objects.filter(team_id=team_id, is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return None
    if last_id is not None:
        later = [pk for pk in ids if pk > last_id]
        if later:
            return later[0]
    return ids[0]


def round_robin_id(holder) -> int | None:
    """The id of the next member of ``holder.team`` (a rule or a web form), remembered on
    its row. The row is locked (SELECT … FOR UPDATE) until the caller's transaction
    ends, so concurrent callers queue and each gets the next person."""
    model = type(holder)
    with transaction.atomic(savepoint=False):
        locked = model.objects.select_for_update().only("pk", "team_id", "last_assigned_id").get(pk=holder.pk)
        if locked.team_id is None:
            return None
        user_id = _next_member_id(locked.team_id, locked.last_assigned_id)
        if user_id is not None:
            model.objects.filter(pk=locked.pk).update(last_assigned_id=user_id)
    return user_id


def round_robin(holder):
    """Like ``round_robin_id``, as a user."""
    user_id = round_robin_id(holder)
    return get_user_model().objects.get(pk=user_id) if user_id is not None else None


def rule_matches(rule: AssignmentRule, *, region: str, source: str) -> bool:
    if rule.source and rule.source != source:
        return False
    return not (rule.region and rule.region.casefold() not in (region or "").casefold())


def assign_by_rules(*, region: str, source: str) -> int | None:
    for rule in AssignmentRule.objects.filter(active=True).select_related("user").order_by("position", "pk"):
        if not rule_matches(rule, region=region, source=source):
            continue
        if rule.user_id:
            if rule.user.is_active:
                return rule.user_id
            continue
        user_id = round_robin_id(rule)
        if user_id is not None:
            return user_id
    return None


def assign_owner_id(*, data: dict, web_form: WebForm | None = None) -> int | None:
    """The id of the owner for a new lead described by ``data`` (its region and source).
    Ids rather than users: the caller stores the id, so no user row is read for it."""
    if web_form is not None:
        if web_form.owner_id and web_form.owner.is_active:
            return web_form.owner_id
        if web_form.team_id:
            user_id = round_robin_id(web_form)
            if user_id is not None:
                return user_id
    for step in _extra_steps:
        user = step(data)
        if user is not None:
            return user.pk
    return assign_by_rules(region=data.get("region") or "", source=data.get("source") or "")


def assign_owner(*, data: dict, web_form: WebForm | None = None):
    """Like ``assign_owner_id``, as a user (None when nobody is chosen)."""
    user_id = assign_owner_id(data=data, web_form=web_form)
    return get_user_model().objects.get(pk=user_id) if user_id is not None else None
