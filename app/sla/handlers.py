"""What sla registers with core (app.wiring.install calls `register`): the calendar /readyz checks."""

from __future__ import annotations

from app.core import health
from app.sla import service


def register() -> None:
    health.CALENDAR_LOADER["calendar"] = service.load_calendar
