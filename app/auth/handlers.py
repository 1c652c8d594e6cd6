"""What auth registers with core (app.wiring.install calls `register`): the tables whose changes clear the cached
principals (app.core.refcache)."""

from __future__ import annotations

from app.auth import service
from app.core import refcache


def register() -> None:
    refcache.track(*service.CACHED_TABLES)
