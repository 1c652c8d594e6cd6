"""Operations tests: real `zhuqi` processes (the CLI as an operator runs it), a database of their own, a real nginx.

Processes are started with this interpreter (`python -m app.cli`), so they run the code of this checkout, and are
stopped at teardown each by its own pid (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
SECRET = "ops-test-secret-" + "o" * 32


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A PostgreSQL database created empty for this test (`<test database>_fresh`), dropped after it."""
    url = make_url(os.environ["ZHUQI_TEST_DATABASE_URL"])
    url = url.set(database=f"{url.database}_fresh")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


@dataclass
class Zhuqi:
    """`zhuqi` commands run as real processes with a common environment; logs in one file per process."""

    logs: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{args[0]}-{len(self.started)}.log", "ab")  # noqa: SIM115 — closed below
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT, env={**os.environ, **self.env, **env})
        log.close()
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.logs.glob("*.log")))


def zhuqi_env(database_url: str, attachments: Path, **extra: str) -> dict[str, str]:
    return {"ZHUQI_DATABASE_URL": database_url, "ZHUQI_ENV": "test", "ZHUQI_SECRET_KEY": SECRET,
            "ZHUQI_ATTACHMENTS_DIR": str(attachments), "ZHUQI_DB_WAIT_SECONDS": "30", **extra}


@pytest.fixture
def zhuqi(tmp_path: Path) -> Iterator[Zhuqi]:
    logs = tmp_path / "logs"
    logs.mkdir()
    runner = Zhuqi(logs, {})
    try:
        yield runner
    finally:
        runner.stop_all()


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> httpx.Response:
    """Polls /readyz until 200; fails at once if the process exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{base}: the server exited with {proc.returncode} ({last})")
        try:
            answer = httpx.get(base + "/readyz", timeout=5)
            if answer.status_code == 200:
                return answer
            last = answer.text[:200]
        except httpx.HTTPError as exc:
            last = exc.__class__.__name__
        time.sleep(0.2)
    raise AssertionError(f"{base} not ready after {timeout} s ({last})")
