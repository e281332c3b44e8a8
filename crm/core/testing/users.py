"""The standing users every visibility test uses.

    Sales (manager)            <- the manager sees the teams below
      └── East: owner, teammate
    Elsewhere: outsider        <- a rep in a team outside the manager's tree
    admin                      <- administrator role

Sales reps read their team's records and change only their own; the manager reads
and changes everything in Sales and below; the outsider sees none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .factories import TeamFactory, UserFactory, role


@dataclass
class StandingUsers:
    owner: object
    teammate: object
    outsider: object
    manager: object
    admin: object


def make_standing_users() -> StandingUsers:
    sales = TeamFactory(name="Sales")
    east = TeamFactory(name="East", parent=sales)
    elsewhere = TeamFactory(name="Elsewhere")
    manager = UserFactory(username="manager", role=role("sales_manager"), team=sales)
    sales.manager = manager
    sales.save()
    return StandingUsers(
        owner=UserFactory(username="owner", role=role("sales_rep"), team=east),
        teammate=UserFactory(username="teammate", role=role("sales_rep"), team=east),
        outsider=UserFactory(username="outsider", role=role("sales_rep"), team=elsewhere),
        manager=manager,
        admin=UserFactory(username="admin", role=role("administrator"), team=None),
    )
