"""Issue 14: 200 concurrent connections against `zhuqi serve` (its default workers, in-process sweeper and
dispatcher) on PostgreSQL, for each of: one invented API key, 200 different invented keys, valid list reads,
`sign` on one appeal, intake with one Idempotency-Key. Every connection gets its answer — no response ≥ 500,
no timeout, no connection error — and the writes happen once: one appeal for the shared key, one `signed` event.

Before the fix every one of 150 requests with an invented key timed out at 60 s: threads waited for pooled
connections held by requests that waited for threads (docs/decisions.md, "Connection discipline")."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
import sqlalchemy as sa

from tests.crash.conftest import _env, free_port, wait_ready
from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.load.burst import Burst, Call, burst
from tests.load.hostile_mix import CITY, LIAISON, hostile_mix, wrong_answers

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.postgres_only]

CONNECTIONS = 200
TIMEOUT = 60.0  # seconds a connection waits for its answer; none may need it


def invented_key() -> str:
    return "zq_" + secrets.token_urlsafe(32)


def serve(procs, crash_db, **env: str) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = procs._spawn("serve", ["-m", "app.cli", "serve", "--port", str(port)],
                        env={**_env(crash_db), "ZHUQI_RUN_WORKERS_IN_PROCESS": "true", **env})
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


def test_200_connections_of_valid_and_hostile_requests_get_their_own_answers(crash_db, procs):
    """The issue's "Done means" as an operations team would try it: a burst mixing valid reads and exports with
    invented keys, dates at the edge, control characters, NUL bytes, a past hard_deadline and a sign that cannot
    happen. Each connection gets the answer its own request must get — a Chinese problem+json for every refusal —
    and nothing answers ≥ 500 or times out."""
    base = serve(procs, crash_db)
    headers = {name: crash_db.headers(name) for name in (CITY, LIAISON)}
    appeal_id = burst(base, Call("POST", "/api/v1/appeals", headers[CITY], appeal_body(XIXI_ENTERPRISE)),
                      1).replies[0].json()["id"]
    signed = burst(base, Call("POST", f"/api/v1/appeals/{appeal_id}/actions/sign", headers[LIAISON], {}), 1)
    assert signed.statuses[200] == 1, signed.summary()
    mix = hostile_mix(headers, appeal_id, date.today())
    result = burst(base, [call for call, _ in mix], CONNECTIONS, timeout=TIMEOUT)
    assert_all_answered(result, {200, 401, 409, 422}, procs.log_text())
    answers = [(r.call, r.status, r.headers.get("content-type", ""), r.json() if r.status >= 400 else {})
               for r in result.replies]
    assert not wrong_answers(mix, answers), wrong_answers(mix, answers)
    print(result.summary())
    with crash_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM appeal")).scalar() == 1  # no refused intake was written


def test_200_streamed_exports_on_a_starved_pool_are_whole_files_or_a_503(crash_db, procs):
    """A pool of one connection and a 0.2 s wait: some of 200 concurrent CSV exports find no connection. Each such
    one is a whole 503 problem+json with Retry-After — never a 200 cut off after its header (a streamed response
    cannot turn into an error once started; app.core.streaming reads the first page before it starts)."""
    base = serve(procs, crash_db, ZHUQI_DB_POOL_SIZE="1", ZHUQI_DB_MAX_OVERFLOW="0",
                 ZHUQI_DB_POOL_TIMEOUT_SECONDS="0.2", ZHUQI_API_THREADS="40")
    city = crash_db.headers(CITY)
    assert burst(base, Call("POST", "/api/v1/appeals", city, appeal_body(XIXI_ENTERPRISE)), 1).statuses[201] == 1
    exports = [Call("GET", "/api/v1/stats/export.csv?from=2026-01-01", city), Call("GET", "/api/v1/visits/export.csv",
                                                                                   city)]
    result = burst(base, exports, CONNECTIONS, timeout=TIMEOUT)
    print(result.summary())
    assert result.timeouts == 0 and not result.errors, result.summary()  # a cut-off stream is an IncompleteRead
    assert set(result.statuses) <= {200, 503}, result.summary()
    for reply in result.replies:
        if reply.status == 503:
            assert reply.headers["retry-after"] == "1" and reply.json()["code"] == "overloaded"
            assert reply.headers["content-type"].startswith("application/problem+json")
        else:
            text = reply.body.decode("utf-8-sig")
            assert text.count("\n") == (2 if "stats" in exports[reply.call % 2].path else 1), text[:300]
