"""Bursts (issue 14): 200 connections at once — invented API keys, list reads, intake — against the same
traffic from 25 connections (the baseline, which the service always handled) on the same server in the same run.

The app is served like production (`python -m app.core.serving`, 2 workers, pool 10 + 10 per process, 5 s pool
wait) on PostgreSQL over the demo city plus PRELOAD appeals. Client: tests/load/burst.py — every connection is
opened first, then each sends its requests back to back (keep-alive), all connections starting at the same
instant; latency counts from the moment a request was sent. Every connection sends ROUNDS_200 (200 connections)
or ROUNDS_25 (25 connections) requests, so both sizes send the same number of requests; the 25-connection
runs come before and after the 200 (the machine's load drifts) and the better one is the baseline. Kinds:
- 401: `GET /api/v1/appeals` with one invented key (`zq_` + 43 random characters), as issue 14 sent it: read
  once, then refused from the process cache;
- 401new: a different invented key on every request: nothing to cache, every one is looked up in the database
  (the worst an outsider can do);
- list: `GET /api/v1/appeals?limit=20` as the city admin (its key cached after the first request);
- intake: `POST /api/v1/appeals`, each with its own Idempotency-Key; throughput = answered / burst duration;
- one key: 200 intakes with one Idempotency-Key at once — exactly one appeal (the rest replay it or get 409).
Targets: 0 responses ≥ 500, 0 timeouts, 0 connection errors; 401 p99 ≤ 1 s at 200 connections.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.common import Context, Result, app_env, serve
from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.load.burst import Burst, Call, burst

TITLE = "bursts: 200 connections at once vs 25 (401 p99, list p99, intake throughput, 0 errors)"
DATABASE = "bench_zhuqi_burst"
PRELOAD = 60
ROUNDS_200, ROUNDS_25 = 1, 8  # 200 requests per kind and size
TIMEOUT = 30.0


def _prepare(url: str) -> str:
    from app.appeals.schemas import AppealCreate
    from app.appeals.service import submit_appeal
    from app.auth.service import authenticate_api_key, create_api_key
    from app.core import migrate
    from app.db import make_engine, session_for
    from app.demo import seed_demo

    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with session_for(engine) as session:
        seed_demo(session, now=now, with_appeals=False)
        _, token = create_api_key(session, role="city_admin", unit_code="330100", name="bench-burst", now=now)  # type: ignore[arg-type]
        city = authenticate_api_key(session, token)
        for i in range(PRELOAD):
            submit_appeal(session, city, AppealCreate(**appeal_body(XIXI_ENTERPRISE, title=f"预置诉求 {i}")), now=now)
    engine.dispose()
    return token


def _invented() -> Call:
    return Call("GET", "/api/v1/appeals", {"Authorization": f"Bearer zq_{secrets.token_urlsafe(32)}"})


def _intake(auth: dict[str, str], tag: str, count: int) -> list[Call]:
    return [Call("POST", "/api/v1/appeals", {**auth, "Idempotency-Key": f"{tag}-{i}"},
                 appeal_body(XIXI_ENTERPRISE, title=f"压测 {tag} {i}")) for i in range(count)]


def _bad(run: Burst) -> int:
    return run.server_errors + run.timeouts + len(run.errors)


def run(ctx: Context) -> list[Result]:
    url = ctx.fresh_pg(DATABASE)
    ctx.log(f"preparing {DATABASE}: demo city + {PRELOAD} appeals")
    token = _prepare(url)
    auth = {"Authorization": f"Bearer {token}"}
    runs: dict[tuple[str, int], list[Burst]] = {}
    with serve("app.main:create_app", app_env(url)) as base:
        burst(base, Call("GET", "/api/v1/appeals?limit=20", auth), 4)  # warm: imports, caches, pool
        # 25 connections before and after the 200 (the machine's load drifts): the baseline is the better run
        for round_no, (connections, rounds) in enumerate(((25, ROUNDS_25), (200, ROUNDS_200), (25, ROUNDS_25))):
            total = connections * rounds
            invented = _invented()
            for kind, calls in (("401", [invented]), ("401new", [_invented() for _ in range(total)]),
                                ("list", [Call("GET", "/api/v1/appeals?limit=20", auth)]),
                                ("intake", _intake(auth, f"r{round_no}", total))):
                result = burst(base, calls, connections, rounds=rounds, timeout=TIMEOUT)
                ctx.log(f"{kind:<6} {result.summary()}, {result.per_second:.0f}/s")
                runs.setdefault((kind, connections), []).append(result)
        shared = burst(base, _intake(auth, "one-key", 1), 200, timeout=TIMEOUT)
        ctx.log(f"one key {shared.summary()}")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        same_key = conn.execute(sa.text("SELECT count(*) FROM appeal WHERE title = '压测 one-key 0'")).scalar_one()
    engine.dispose()

    everything = [r for rs in runs.values() for r in rs] + [shared]
    bad = sum(_bad(r) for r in everything)
    ctx.detail("bursts", "\n".join(f"{kind:<6} {conn:>3} connections: {r.summary()}, {r.per_second:.0f}/s"
                                   for (kind, conn), rs in runs.items() for r in rs) + f"\none key: {shared.summary()}")

    def p99(kind: str, connections: int) -> float:
        return min(r.percentile(99) for r in runs[(kind, connections)])

    def rate(connections: int) -> float:
        return max(r.per_second for r in runs[("intake", connections)])

    p401, p401new, plist, rps = p99("401", 200), p99("401new", 200), p99("list", 200), rate(200)
    return [
        Result("burst.errors_5xx_timeouts", float(bad), "", "0", bad == 0,
               detail=f"{sum(len(r.replies) for r in everything)} answers in {len(everything)} bursts"),
        Result("burst.401_p99_200conn", p401, "ms", "≤ 1000 ms", p401 <= 1000,
               baseline=f"25 conn {p99('401', 25):.0f} ms"),
        Result("burst.401_new_keys_p99_200conn", p401new, "ms", "—", None,
               baseline=f"25 conn {p99('401new', 25):.0f} ms"),
        Result("burst.list_p99_200conn", plist, "ms", "—", None, baseline=f"25 conn {p99('list', 25):.0f} ms"),
        Result("burst.intake_rps_200conn", rps, "/s", "—", None, baseline=f"25 conn {rate(25):.0f}/s"),
        Result("burst.one_key_appeals", float(same_key), "", "1", same_key == 1,
               detail=f"200 at once: {dict(sorted(shared.statuses.items()))}"),
    ]
