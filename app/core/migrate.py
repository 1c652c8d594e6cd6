"""Runs Alembic programmatically: `zhuqi serve`, `worker` and `migrate` upgrade to head; /readyz checks it.

Any number of them may start at once (docker-compose starts everything together): on PostgreSQL the upgrade runs
under a session-level advisory lock, so one process migrates and the others wait, then find the schema at head and
do nothing. Without it two processes run the first revision side by side and one dies on a duplicate type or table
(`UniqueViolation … pg_type_typname_nsp_index`). SQLite has no such lock and needs none: its writers are
serialized by the file lock, and a SQLite database is one machine's file.

`zhuqi serve` and `zhuqi worker` first wait for the database (wait_for_database): under docker-compose, or after a
reboot, the application may start before PostgreSQL accepts connections.
"""

from __future__ import annotations

import logging
import sys
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



def _migrations_dir() -> Path:
    """The checkout's migrations/ (source tree, editable install), else the copy the wheel installs as data files
    under <prefix>/share/zhuqi/migrations (pyproject.toml: the Docker image installs the wheel, not the source)."""
    source = Path(__file__).resolve().parents[2] / "migrations"
    if (source / "env.py").is_file():
        return source
    return Path(sys.prefix) / "share" / "zhuqi" / "migrations"


MIGRATIONS_DIR = _migrations_dir()
WAIT_BACKOFF = (0.5, 1.0, 2.0, 5.0)  # seconds between attempts; then every 5 s
PROBE_TIMEOUT = 10.0  # one attempt at most (an address that drops packets would otherwise hang for minutes)
log = logging.getLogger("app.startup")
# pg_advisory_lock key of the schema upgrade: any fixed bigint that nothing else locks ("zhuqi" in ASCII + 1).
MIGRATION_LOCK_KEY = 0x7A68_7571_6901


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
    """Upgrades to head; on PostgreSQL one process at a time (MIGRATION_LOCK_KEY), the others wait for it.

    The lock is taken on the connection that migrates, outside the migration's transaction (a session lock, not a
    transaction lock) so it is held until the upgrade has committed, and released explicitly after; if the process
    dies, PostgreSQL releases it with the session. Alembic's own INFO lines (context impl, transactional DDL) are
    kept out of the logs; one line says what changed, when something did."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = alembic_config()
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            _lock(connection)
        try:
            before = set(MigrationContext.configure(connection).get_current_heads())
            connection.commit()
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
            after = set(MigrationContext.configure(connection).get_current_heads())
            connection.commit()
            if after != before:
                log.info("database schema upgraded: %s -> %s", ", ".join(sorted(before)) or "empty",
                         ", ".join(sorted(after)))
        finally:
            if postgres:
                connection.rollback()
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                connection.commit()


def _lock(connection: sa.Connection) -> None:
    """Takes the migration lock, saying so in one line when another process holds it (an operator watching a
    start-up sees why it pauses)."""
    if connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})").scalar():
        connection.commit()
        return
    log.info("another process is migrating the database; waiting for it")
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    connection.commit()


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
