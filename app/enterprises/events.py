"""What the enterprise registry announces, for the domains above it (app.core.events; subscribed in app.wiring).

Both are published inside the registry's use case, before its commit: a subscriber that refuses (an unknown
building, a user who is not a liaison) raises InvalidInput naming `field`, and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.auth.principal import Principal
from app.enterprises.models import Enterprise


@dataclass(frozen=True)
class LiaisonAssigned:
    """An admin set (user_id) or cleared (None) the enterprise's liaison through the registry's own routes."""

    principal: Principal
    enterprise: Enterprise
    user_id: int | None
    field: str
    now: datetime


@dataclass(frozen=True)
class BuildingAssigned:
    """The enterprise now stands in building `enterprise.building_id` (its street possibly changed with it)."""

    enterprise: Enterprise
    field: str
