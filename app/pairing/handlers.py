"""Wiring of the pairing domain into the rest of the service: the reach a pairing or a building grants."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core import reach
from app.enterprises.models import Enterprise
from app.pairing.models import Building


def paired_enterprise_ids(principal: Any) -> Any | None:
    """Enterprises a staff user reaches through a current pairing (结对) or as a building's manager (楼长).

    Reads `enterprise.liaison_user_id`, which the pairing service keeps equal to the open pairing row, and the
    building's current manager: both live in the query, so ending a pairing ends the reach at the next request.
    Keys not bound to a user (scripts) are granted nothing and keep their plain subtree query.
    """
    user_id = getattr(principal, "user_id", None)
    if user_id is None or not getattr(principal, "is_staff", False):
        return None
    paired = sa.select(Enterprise.id).where(Enterprise.liaison_user_id == user_id)  # type: ignore[arg-type]
    housed = (sa.select(Enterprise.id).join(Building, Building.id == Enterprise.building_id)  # type: ignore[arg-type]
              .where(Building.manager_user_id == user_id))  # type: ignore[arg-type]
    return sa.union(paired, housed)


def register() -> None:
    reach.register(paired_enterprise_ids)
