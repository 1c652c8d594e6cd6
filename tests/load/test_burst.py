"""Issue 14: 200 concurrent connections against `zhuqi serve` (its default workers, in-process sweeper and
dispatcher) on PostgreSQL, for each of: one invented API key, 200 different invented keys, valid list reads,
`sign` on one appeal, intake with one Idempotency-Key. Every connection gets its answer — no response ≥ 500,
no timeout, no connection error — and the writes happen once: one appeal for the shared key, one `signed` event.

Before the fix every one of 150 requests with an invented key timed out at 60 s: threads waited for pooled
connections held by requests that waited for threads (docs/decisions.md, "Connection discipline")."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from tests.crash.conftest import _env, free_port, wait_ready
from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.load.burst import Burst, Call, burst

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only]

CONNECTIONS = 200
TIMEOUT = 60.0  # seconds a connection waits for its answer; none may need it


def invented_key() -> str:
    return "zq_" + secrets.token_urlsafe(32)


def serve(procs, crash_db) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = procs._spawn("serve", ["-m", "app.cli", "serve", "--port", str(port)],
                        env={**_env(crash_db), "ZHUQI_RUN_WORKERS_IN_PROCESS": "true"})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, proc)
    return base


def assert_all_answered(result: Burst, allowed: set[int], log: str) -> None:
    assert result.timeouts == 0 and not result.errors, result.summary()
    assert len(result.replies) == CONNECTIONS, result.summary()
    assert result.server_errors == 0, result.summary() + "\n" + log
    assert set(result.statuses) <= allowed, result.summary()


def test_200_connections_of_each_kind_are_all_answered_and_write_once(crash_db, procs):
    base = serve(procs, crash_db)
    city, liaison = crash_db.headers("city"), crash_db.headers("xixi_liaison")
    first = burst(base, Call("POST", "/api/v1/appeals", city, appeal_body(XIXI_ENTERPRISE)), 1)
    appeal_id = first.replies[0].json()["id"]

    one_key = burst(base, Call("GET", f"/api/v1/appeals/{appeal_id}", {"Authorization": f"Bearer {invented_key()}"}),
                    CONNECTIONS, timeout=TIMEOUT)
    assert_all_answered(one_key, {401}, procs.log_text())
    many_keys = burst(base, [Call("GET", "/api/v1/appeals", {"Authorization": f"Bearer {invented_key()}"})
                             for _ in range(CONNECTIONS)], CONNECTIONS, timeout=TIMEOUT)
    assert_all_answered(many_keys, {401}, procs.log_text())

    reads = burst(base, Call("GET", "/api/v1/appeals?limit=20", city), CONNECTIONS, timeout=TIMEOUT)
    assert_all_answered(reads, {200}, procs.log_text())
    assert all(r.json()["items"][0]["id"] == appeal_id for r in reads.replies)

    signs = burst(base, Call("POST", f"/api/v1/appeals/{appeal_id}/actions/sign", liaison, {}), CONNECTIONS,
                  timeout=TIMEOUT)
    assert_all_answered(signs, {200, 409}, procs.log_text())
    assert signs.statuses[200] == 1, signs.summary()

    body = appeal_body(XIXI_ENTERPRISE, title="同一 Idempotency-Key 的并发提交")
    intakes = burst(base, Call("POST", "/api/v1/appeals", {**city, "Idempotency-Key": "burst-1"}, body), CONNECTIONS,
                    timeout=TIMEOUT)
    assert_all_answered(intakes, {201, 409}, procs.log_text())
    created = {r.json()["id"] for r in intakes.replies if r.status == 201}
    assert len(created) == 1, intakes.summary()
    for conflict in (r for r in intakes.replies if r.status == 409):
        assert conflict.json()["code"] == "idempotency_in_progress" and conflict.headers["retry-after"]

    with crash_db.engine.connect() as conn:
        titled = conn.execute(sa.text("SELECT count(*) FROM appeal WHERE title = :t"), {"t": body["title"]}).scalar()
        signed = conn.execute(sa.text("SELECT count(*) FROM appeal_event WHERE appeal_id = :a AND type = 'signed'"),
                              {"a": appeal_id}).scalar()
    assert (titled, signed) == (1, 1)
    assert "QueuePool limit" not in procs.log_text()
