"""What accounts register with core (app.wiring.install calls `register`)."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import AuthSession, UsageCounter
from app.core import housekeeping
from app.core.housekeeping import Retention


def register() -> None:
    housekeeping.register(
        Retention("auth_session", AuthSession.__table__.c.expires_at, timedelta(days=30),  # type: ignore[attr-defined]
                  "an expired session cannot be refreshed; kept a month after expiry for questions about it"),
        Retention("usage_counter", UsageCounter.__table__.c.day, timedelta(days=7),  # type: ignore[attr-defined]
                  "daily limits read today's counter only", by_day=True),
    )
