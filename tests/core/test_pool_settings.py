"""The API's pool is sized by settings with a short wait (issue 14, "Connection discipline"): ZHUQI_DB_POOL_SIZE,
ZHUQI_DB_MAX_OVERFLOW and ZHUQI_DB_POOL_TIMEOUT_SECONDS reach the engine of an API process, and the wait for a
connection defaults to 5 s, not SQLAlchemy's 30 s. No database is contacted: an engine connects lazily."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.db import DEFAULT_POOL_TIMEOUT_SECONDS, engine_for
from tests.conftest import make_settings

PG_URL = "postgresql+psycopg://zhuqi@127.0.0.1:1/never_contacted"


def test_the_pool_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZHUQI_DB_POOL_SIZE", "3")
    monkeypatch.setenv("ZHUQI_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("ZHUQI_DB_POOL_TIMEOUT_SECONDS", "0.7")
    engine = engine_for(make_settings(PG_URL, tmp_path))
    assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout) == (3, 2, 0.7)  # type: ignore[attr-defined]
    engine.dispose()


def test_the_wait_for_a_connection_is_short_by_default(tmp_path: Path) -> None:
    engine = engine_for(make_settings(PG_URL, tmp_path))
    assert engine.pool._timeout == DEFAULT_POOL_TIMEOUT_SECONDS == 5.0  # type: ignore[attr-defined]
    assert (engine.pool.size(), engine.pool._max_overflow) == (10, 10)  # type: ignore[attr-defined]
    engine.dispose()
