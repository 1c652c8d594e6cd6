"""`zhuqi serve` and `zhuqi worker` wait for the database at start-up (ZHUQI_DB_WAIT_SECONDS) instead of exiting
with a traceback: the wait loop on an injected clock, then real processes against a closed port and against a
database that appears while they wait."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.core.migrate import DatabaseUnavailable, wait_for_database

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql+psycopg://zhuqi:s3cret@db.example:5432/zhuqi"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def refused(_url: str, _timeout: float) -> None:
    raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused\n\tIs the server running?"))


def test_retries_with_backoff_until_the_database_answers(caplog):
    fake, calls = FakeTime(), []

    def probe(url: str, timeout: float) -> None:
        calls.append(timeout)
        if len(calls) < 4:
            refused(url, timeout)

    with caplog.at_level(logging.INFO, logger="app.startup"):
        assert wait_for_database(URL, 60, probe=probe, sleep=fake.sleep, clock=fake.clock) == 4
    assert fake.sleeps == [0.5, 1.0, 2.0]
    assert calls == [10.0, 10.0, 10.0, 10.0]  # one attempt never outlasts PROBE_TIMEOUT
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3 and all("\n" not in w for w in warnings)  # one line per failed attempt
    assert warnings[0].startswith("database postgresql+psycopg://zhuqi:***@db.example:5432/zhuqi not reachable "
                                  "(attempt 1, 0.0 of 60 s): connection refused Is the server running?")
    assert "s3cret" not in caplog.text


def test_gives_up_after_the_limit_with_one_line():
    fake = FakeTime()
    with pytest.raises(DatabaseUnavailable) as raised:
        wait_for_database(URL, 9, probe=refused, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [0.5, 1.0, 2.0, 5.0, 0.5]  # the last wait is cut to the limit, then one last attempt
    assert str(raised.value) == ("database postgresql+psycopg://zhuqi:***@db.example:5432/zhuqi not reachable after "
                                 "9 s (6 attempts): connection refused Is the server running?")


def test_zero_means_one_attempt():
    fake = FakeTime()
    with pytest.raises(DatabaseUnavailable, match=r"after 0 s \(1 attempt\)"):
        wait_for_database(URL, 0, probe=refused, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def test_sqlite_has_nothing_to_wait_for_and_other_errors_are_not_retried():
    def never(_url: str, _timeout: float) -> None:
        raise AssertionError("probed")

    assert wait_for_database("sqlite:///./zhuqi.db", 60, probe=never) == 0

    def bad_config(_url: str, _timeout: float) -> None:
        raise sa.exc.ArgumentError("bad URL")

    fake = FakeTime()
    with pytest.raises(sa.exc.ArgumentError):
        wait_for_database(URL, 60, probe=bad_config, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens on it once the socket is closed


def _env(database_url: str, wait: str) -> dict[str, str]:
    return {**os.environ, "ZHUQI_DATABASE_URL": database_url, "ZHUQI_DB_WAIT_SECONDS": wait, "ZHUQI_ENV": "test",
            "PYTHONPATH": str(ROOT)}


def _zhuqi(database_url: str, wait: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=_env(database_url, wait),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow  # real processes (CI's slow pass)
@pytest.mark.parametrize("command", [["worker"], ["serve", "--port", "0"], ["migrate"]],
                         ids=["worker", "serve", "migrate"])
def test_no_database_exits_1_with_one_line_after_the_limit(command):
    url = f"postgresql+psycopg://zhuqi:s3cret@127.0.0.1:{_closed_port()}/zhuqi"
    result = _zhuqi(url, "2", *command)  # a hang is the subprocess timeout (60 s), not a timing assertion
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert result.stderr.count("not reachable (attempt") >= 2  # it waited, saying so at every attempt
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"zhuqi {command[0]}: database postgresql+psycopg://zhuqi:***@127.0.0.1:")
    assert "not reachable after 2 s" in last and "Connection refused" in last


@pytest.mark.db
@pytest.mark.postgres_only
def test_worker_waits_for_a_database_that_appears_then_migrates_and_runs(database_url, tmp_path):
    """The database is created only after `zhuqi worker --once` has failed to reach it (as a PostgreSQL container
    creates its database on first start): the worker keeps trying, then migrates it and does its round."""
    url = make_url(database_url).set(database=f"{make_url(database_url).database}_dbwait")
    name = url.database
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    log = tmp_path / "worker.log"
    try:
        with log.open("w") as out:
            worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--once"], cwd=ROOT, stdout=out,
                                      stderr=subprocess.STDOUT, env=_env(url.render_as_string(hide_password=False),
                                                                         "30"))
        deadline = time.monotonic() + 30
        while "not reachable (attempt 1" not in log.read_text() and worker.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        assert worker.wait(timeout=60) == 0, log.read_text()
        assert "reachable after" in log.read_text() and "dispatcher: 0" in log.read_text()
        migrated = sa.create_engine(url)
        with migrated.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() >= 1
        migrated.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
