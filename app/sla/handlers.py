"""What sla registers with core (app.wiring.install calls `register`): the calendar /readyz checks, and the tables
whose changes clear the cached calendar and policies."""

from __future__ import annotations

from app.core import health, refcache
from app.sla import service


def register() -> None:
    health.CALENDAR_LOADER["calendar"] = service.load_calendar
    refcache.track(*service.CACHED_TABLES)
