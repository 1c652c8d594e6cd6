"""Runs Alembic programmatically: `zhuqi serve` and `zhuqi migrate` upgrade to head; /readyz checks it.

`zhuqi serve` and `zhuqi worker` first wait for the database (wait_for_database): under docker-compose, or after a
reboot, the application may start before PostgreSQL accepts connections.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
WAIT_BACKOFF = (0.5, 1.0, 2.0, 5.0)  # seconds between attempts; then every 5 s
PROBE_TIMEOUT = 10.0  # one attempt at most (an address that drops packets would otherwise hang for minutes)
log = logging.getLogger("app.startup")


class DatabaseUnavailable(Exception):
    """The database did not accept a connection within the wait limit (ZHUQI_DB_WAIT_SECONDS)."""


def _probe(url: str, timeout: float) -> None:
    """One connection and `SELECT 1`, bounded by `timeout` where the driver allows it (libpq's connect_timeout)."""
    postgres = make_url(url).get_backend_name() == "postgresql"
    connect_args = {"connect_timeout": max(2, round(timeout))} if postgres else {}
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def _reason(exc: Exception) -> str:
    """The driver's message on one line (psycopg's spans several), without SQLAlchemy's SQL and help link."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return text[:300]


def wait_for_database(
    url: str,
    limit_seconds: float,
    *,
    probe: Callable[[str, float], None] = _probe,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Tries to connect until it works, backing off (WAIT_BACKOFF), one log line per failed attempt; returns the
    number of attempts. Raises DatabaseUnavailable once `limit_seconds` have passed (0: one attempt). A SQLite file
    has no server to wait for: returns at once. Errors that waiting cannot fix (a malformed URL, a missing driver)
    are raised as they are."""
    if make_url(url).get_backend_name() == "sqlite":
        return 0
    shown = make_url(url).render_as_string(hide_password=True)
    start = clock()
    attempt = 0
    while True:
        attempt += 1
        elapsed = clock() - start
        try:
            probe(url, min(PROBE_TIMEOUT, max(limit_seconds - elapsed, 1.0)))
            if attempt > 1:
                log.info("database %s reachable after %d attempts (%.1f s)", shown, attempt, clock() - start)
            return attempt
        except (OperationalError, InterfaceError) as exc:  # refused, unknown host, starting up, no such database
            reason = _reason(exc)
        elapsed = clock() - start
        if elapsed >= limit_seconds:
            tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
            raise DatabaseUnavailable(f"database {shown} not reachable after {limit_seconds:g} s ({tries}): {reason}")
        delay = min(WAIT_BACKOFF[min(attempt, len(WAIT_BACKOFF)) - 1], limit_seconds - elapsed)
        log.warning("database %s not reachable (attempt %d, %.1f of %g s): %s; retrying in %.1f s", shown, attempt,
                    elapsed, limit_seconds, reason, delay)
        sleep(delay)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
