"""Wiring of the pairing domain into the rest of the service: the reach a pairing or a building grants."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core import events, reach
from app.enterprises.events import BuildingAssigned, LiaisonAssigned
from app.enterprises.models import Enterprise
from app.pairing import buildings, service
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


def on_liaison_assigned(session: Session, event: LiaisonAssigned) -> None:
    """The registry's liaison_user_id goes through the pairing history like PUT/DELETE …/liaison."""
    if event.user_id is None:
        service.unpair(session, event.principal, event.enterprise, now=event.now)
    else:
        user, unit = service.liaison_user(session, event.user_id, event.field)
        service.pair(session, event.principal, event.enterprise, user, unit, note=None, now=event.now)


def on_building_assigned(session: Session, event: BuildingAssigned) -> None:
    enterprise = event.enterprise
    buildings.check_for_enterprise(session, enterprise.building_id, enterprise.street_unit_id,  # type: ignore[arg-type]
                                   event.field)


def register() -> None:
    reach.register(paired_enterprise_ids)
    events.subscribe(LiaisonAssigned, on_liaison_assigned)
    events.subscribe(BuildingAssigned, on_building_assigned)
