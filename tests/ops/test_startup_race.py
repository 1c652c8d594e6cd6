"""Everything started at once on a fresh PostgreSQL (docker-compose's first `up`): three `zhuqi migrate`, two
`zhuqi serve` and one `zhuqi worker`. Before the advisory lock two of three `migrate` died on
`UniqueViolation … pg_type_typname_nsp_index`; now every process comes up and the schema is at head."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.crash.conftest import free_port
from tests.ops.conftest import Zhuqi, wait_ready, zhuqi_env

pytestmark = [pytest.mark.slow, pytest.mark.db, pytest.mark.postgres_only]


def test_migrate_serve_and_worker_started_together_all_come_up(fresh_pg_url: str, zhuqi: Zhuqi,
                                                                tmp_path: Path) -> None:
    from app.core import migrate

    zhuqi.env = zhuqi_env(fresh_pg_url, tmp_path / "attachments")
    ports = [free_port(), free_port()]
    migrations = [zhuqi.start("migrate") for _ in range(3)]
    servers = [zhuqi.start("serve", "--port", str(port)) for port in ports]
    worker = zhuqi.start("worker")

    codes = [proc.wait(timeout=120) for proc in migrations]
    assert codes == [0, 0, 0], zhuqi.log_text()
    for proc, port in zip(servers, ports, strict=True):
        ready = wait_ready(f"http://127.0.0.1:{port}", proc)
        assert ready.json()["migrations"] == "head", ready.text
    deadline = time.monotonic() + 180  # the worker has no port: it is up when it says so and stays up
    while "worker started" not in zhuqi.log_text() and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
    assert worker.poll() is None and "worker started" in zhuqi.log_text(), zhuqi.log_text()

    engine = sa.create_engine(fresh_pg_url)
    try:
        assert migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        engine.dispose()
    logs = zhuqi.log_text()
    assert "Traceback" not in logs and "UniqueViolation" not in logs, logs
    assert logs.count("database schema upgraded: empty") == 1, logs  # one process migrated, the others waited
