"""Real processes against a real PostgreSQL: API servers (`python -m app.core.serving`, as `zhuqi serve` runs
them) and `zhuqi worker`s, on a database of their own (`<test database>_crash`, re-created per test) so they never
touch the database the rest of the suite truncates. PostgreSQL only; marked slow (.ci/run runs them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import Engine, make_url

REPO = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret-" + "c" * 32


def crash_database_url() -> str:
    url = make_url(os.environ.get("ZHUQI_TEST_DATABASE_URL", ""))
    return url.set(database=f"{url.database}_crash").render_as_string(hide_password=False)


@dataclass
class CrashDb:
    url: str
    engine: Engine
    tokens: dict[str, str]
    started: datetime

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def crash_db() -> Iterator[CrashDb]:
    from tests.conftest import create_keys
    from app.core import migrate
    from app.db import make_engine, session_for
    from app.demo import seed_demo

    url = crash_database_url()
    name = make_url(url).database
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT",
                             pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with session_for(engine) as session:
        seed_demo(session, now=now, with_appeals=False)
        keys = create_keys(session, now)
    # The staff keys of the test suite (the system key files nothing: the random traffic leaves it out).
    tokens = {name: h["Authorization"].removeprefix("Bearer ") for name, h in keys.headers.items() if name != "system"}
    yield CrashDb(url, engine, tokens, now)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[int]:
    """An ASGI app (a fake vendor) on a real loopback socket, in a thread of this process; yields its port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the fake did not start listening"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Procs:
    """The processes a test started; all stopped at teardown (SIGTERM, then SIGKILL), each by its own pid."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}-{len(self.started)}.log", "ab")  # noqa: SIM115 — closed with the process
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(REPO), **env})
        log.close()
        self.started.append(proc)
        return proc

    def api(self, db: CrashDb, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        proc = self._spawn("api", ["-m", "app.core.serving", "app.main:create_app", "--port", str(port),
                                   "--log-level", "warning", "--no-access-log"], env=_env(db, **extra))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        return proc, base

    def worker(self, db: CrashDb, **extra: str) -> subprocess.Popen[bytes]:
        return self._spawn("worker", ["-m", "app.cli", "worker"], env=_env(db, **extra))

    def wait_workers_started(self, workers: list[subprocess.Popen[bytes]], timeout: float = 180) -> None:
        """A worker has no port: it is up once its log says so. Waited for before the traffic starts, so that a
        slow start on a busy machine (importing the app can take seconds) is not mistaken for a hang, and a SIGTERM
        never arrives before the worker installed its handler."""
        deadline = time.monotonic() + timeout
        logs = [p for p in sorted(self.logs.glob("worker-*.log"))]
        while time.monotonic() < deadline:
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"a worker exited at start:\n{self.log_text()}")
            if sum("worker started" in p.read_text(errors="replace") for p in logs) >= len(workers):
                return
            time.sleep(0.2)
        raise RuntimeError(f"workers not started after {timeout} s:\n{self.log_text()}")

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.started:
            self.stop(proc)

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.glob("*.log")))


def _env(db: CrashDb, **extra: str) -> dict[str, str]:
    return {"ZHUQI_DATABASE_URL": db.url, "ZHUQI_ENV": "test", "ZHUQI_SECRET_KEY": SECRET,
            "ZHUQI_RUN_WORKERS_IN_PROCESS": "false", **extra}


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} not ready after {timeout} s")


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    manager = Procs(tmp_path)
    try:
        yield manager
    finally:
        manager.stop_all()
