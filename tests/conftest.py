"""Test fixtures. Database tests run on SQLite by default and on PostgreSQL when ZHUQI_TEST_DATABASE_URL
points at it (`.ci/run` does both). Each test gets a clean database: every table is emptied after it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

hypothesis_settings.register_profile("default", deadline=None, max_examples=60, database=None)
hypothesis_settings.load_profile("default")

@pytest.fixture(autouse=True)
def wiring_installed() -> None:
    """The subscribers the app factory, the worker and the CLI install (idempotent, so cheap per test)."""
    from app import wiring

    wiring.install()


DB_FIXTURES = {"engine", "db", "session", "client", "app", "city", "keys"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = _test_database_url().startswith("postgresql")
    # Restarting PostgreSQL stops every other test on the machine: only when asked for by name (-m pg_restart).
    restart_asked = "pg_restart" in (config.option.markexpr or "")
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if not on_postgres and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (runs in the .ci/run PostgreSQL pass)"))
        elif item.get_closest_marker("pg_restart") and not restart_asked:
            item.add_marker(pytest.mark.skip(reason="restarts the shared PostgreSQL: run it with -m pg_restart "
                                                    "(.ci/run's last step)"))


def _test_database_url() -> str:
    return os.environ.get("ZHUQI_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _test_database_url()
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'zhuqi-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    import app.models  # noqa: F401
    from app.core import migrate
    from app.db import make_engine

    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    """Every table emptied and (PostgreSQL) every sequence back at its start, as after the migrations.

    On PostgreSQL a TRUNCATE of the ~50 tables costs most of a second even when they are empty (each gets new files,
    synced at commit) — after every database test, that was half of the PostgreSQL pass. A test leaves rows in a few
    tables: only those are emptied (DELETE, children first), and only the sequences drawn from are restarted."""
    from app.core import refcache

    refcache.clear(engine)  # rows are removed behind the ORM's back: nothing cached may outlive them
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Twice: deleting appeals writes appeal_stats_dirty (a statement trigger), which may have been empty.
            for _ in range(2):
                for name in _filled_tables(conn, tables):
                    conn.execute(sa.text(f"DELETE FROM {name}"))
            assert not _filled_tables(conn, tables), "a table is still not empty"
            for name in conn.execute(sa.text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE "
                                             "schemaname = current_schema() AND last_value IS NOT NULL")).scalars():
                conn.execute(sa.text(f"ALTER SEQUENCE {name} RESTART"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))


def _filled_tables(conn: sa.Connection, tables: list[str]) -> list[str]:
    """The tables that hold a row, in the order given (one round trip)."""
    query = " UNION ALL ".join(f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {name})" for i, name in enumerate(tables))
    return [tables[i] for i in sorted(conn.execute(sa.text(query)).scalars())]


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    yield engine
    truncate_all(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as session:
        yield session


@dataclass
class Clock:
    """An injectable clock; tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Mon 09:00 Shanghai

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now = self.now + timedelta(**kwargs)
        return self.now

    def set(self, value: datetime) -> datetime:
        self.now = value
        return value


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(database_url: str, attachments_dir: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    from app.config import Settings

    return Settings(database_url=database_url, env="test", secret_key="test-secret-key-" + "x" * 32,
                    attachments_dir=str(attachments_dir), allow_loopback_webhooks=True,
                    public_base_url="https://zhuqi.example.gov.cn", **{"gc_freeze": False, **overrides})


@pytest.fixture
def settings(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_settings(database_url, tmp_path / "attachments")


@pytest.fixture
def app(db: Engine, settings, clock: Clock):  # type: ignore[no-untyped-def]
    from app.main import create_app

    return create_app(settings, engine=db, clock=clock)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def city(session: Session, clock: Clock) -> Session:
    """The demo city's units, liaisons and enterprises (no appeals)."""
    from app.demo import seed_demo

    seed_demo(session, now=clock.now, with_appeals=False)
    return session


@dataclass
class Keys:
    headers: dict[str, dict[str, str]]

    def __getitem__(self, name: str) -> dict[str, str]:
        return self.headers[name]


KEY_SPECS = {
    "city": ("city_admin", "330100"),
    "xihu": ("district_admin", "330106"),
    "gongshu": ("district_admin", "330105"),
    "xixi_admin": ("street_admin", "330106012"),
    "xixi_liaison": ("liaison", "330106012"),
    "hushu_admin": ("street_admin", "330105005"),
    "hushu_liaison": ("liaison", "330105005"),
    "kangqiao_liaison": ("liaison", "330105011"),
    "system": ("system", "330100"),
}


def create_keys(session: Session, now: datetime) -> Keys:
    """An API key for each of KEY_SPECS (the demo city must be seeded)."""
    from app.auth.service import create_api_key

    headers = {}
    for name, (role, unit) in KEY_SPECS.items():
        _, token = create_api_key(session, role=role, unit_code=unit, name=name, now=now)  # type: ignore[arg-type]
        headers[name] = {"Authorization": f"Bearer {token}"}
    return Keys(headers)


@pytest.fixture
def keys(city: Session, clock: Clock) -> Keys:
    return create_keys(city, clock.now)
