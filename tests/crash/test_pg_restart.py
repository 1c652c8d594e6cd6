"""PostgreSQL stopped and started again under intake traffic: while it is down the API answers 503
application/problem+json with Retry-After (never a 500, never a hang); when it is back the API and the worker carry
on by themselves; nothing that got a 201 is lost.

This stops the shared server every database test on the machine uses, so it is marked pg_restart: .ci/run runs it
alone, as its very last step, and the outage is kept to a few seconds."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.crash import invariants
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.pg_restart]

OUTAGE_SECONDS = 2.5


def _cluster() -> tuple[str, str]:
    versions = sorted((p.name for p in Path("/etc/postgresql").glob("*") if p.is_dir()),
                      key=lambda v: [int(x) for x in v.split(".") if x.isdigit()])
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.skip("needs a local Debian PostgreSQL cluster (pg_ctlcluster)")
    return versions[-1], "main"


def _ctl(action: str) -> None:
    version, name = _cluster()
    args = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action]
    if action == "stop":
        args += ["-m", "fast"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def _wait_for_postgres(engine: sa.Engine, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_postgres_restart_503_then_recovery_nothing_lost(crash_db, procs):
    _cluster()
    api, base = procs.api(crash_db)
    worker = procs.worker(crash_db, ZHUQI_SWEEP_INTERVAL_SECONDS="1")
    procs.wait_workers_started([worker])
    acknowledged: dict[str, int] = {}
    unavailable: list[httpx.Response] = []
    unexpected: list[str] = []
    after_recovery = threading.Event()
    recovered_201 = 0
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        nonlocal recovered_201
        with httpx.Client(base_url=base, timeout=30, headers=crash_db.headers("city")) as http:
            i = 0
            while not stop.is_set():
                key = f"restart-{n}-{i}-{uuid.uuid4().hex[:6]}"
                body = appeal_body((XIXI_ENTERPRISE, HUSHU_ENTERPRISE)[i % 2])
                i += 1
                try:
                    response = http.post("/api/v1/appeals", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError as exc:
                    with lock:
                        unexpected.append(f"transport error {exc!r}")
                    continue
                with lock:
                    if response.status_code == 201:
                        acknowledged[key] = response.json()["id"]
                        recovered_201 += after_recovery.is_set()
                    elif response.status_code == 503:
                        unavailable.append(response)
                        time.sleep(0.05)
                    else:
                        unexpected.append(f"{response.status_code}: {response.text[:300]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        before = len(acknowledged)
        _ctl("stop")
        try:
            time.sleep(OUTAGE_SECONDS)
            ready = httpx.get(base + "/readyz", timeout=10)
        finally:
            _ctl("start")
        _wait_for_postgres(crash_db.engine)
        after_recovery.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not unexpected:
            with lock:
                if recovered_201 >= 20:
                    break
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    assert not unexpected, unexpected[:5]
    assert before > 0 and unavailable, (before, len(unavailable))
    for response in unavailable:
        assert response.headers["content-type"].startswith("application/problem+json"), response.headers
        assert response.json()["code"] == "service_unavailable" and response.headers.get("Retry-After"), response.text
    assert ready.status_code == 503 and ready.json()["database"] == "unavailable", ready.text
    assert recovered_201 >= 20, f"only {recovered_201} appeals accepted after PostgreSQL came back"
    assert api.poll() is None and worker.poll() is None, procs.log_text()  # nobody had to be restarted
    assert httpx.get(base + "/readyz", timeout=10).status_code == 200

    crash_db.engine.dispose()  # its pooled connections died with the server
    with crash_db.engine.connect() as conn:
        rows = set(conn.execute(sa.text("SELECT id FROM appeal")).scalars())
    lost = [aid for aid in acknowledged.values() if aid not in rows]
    assert not lost, f"acknowledged with 201, then lost: {lost}"
    assert invariants.problems(crash_db.engine) == []
    print(f"\nPostgreSQL down {OUTAGE_SECONDS} s: {before} appeals before, {len(unavailable)} answers 503 "
          f"problem+json during the outage, {recovered_201} accepted after, {len(acknowledged)} in all, none lost")
