"""What sign-in registers with core (app.wiring.install calls `register`)."""

from __future__ import annotations

from datetime import timedelta

from app.core import housekeeping
from app.core.housekeeping import Retention
from app.signin.models import PageLinkToken, PageSession


def register() -> None:
    housekeeping.register(
        Retention("page_session", PageSession.__table__.c.expires_at, timedelta(days=1),  # type: ignore[attr-defined]
                  "an expired page session signs nobody in; kept a day for support questions"),
        Retention("page_link_token", PageLinkToken.__table__.c.expires_at, timedelta(days=1),  # type: ignore[attr-defined]
                  "an expired link opens nothing"),
    )
