"""Reads: `GET /api/v1/appeals` with filters and cursor pagination over the seeded dataset (1M appeals; 100k with
--quick), through uvicorn like a client sees it. Each typical admin query is sent sequentially (after a warm-up) by
one client; target p99 ≤ 50 ms. Baseline in the same run: `GET /api/v1/appeals/{id}` of random appeals (an
O(1) read through the same auth, session and serialisation). The SQL each query runs is captured from the app and
EXPLAINed (ANALYZE, BUFFERS) into the details.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event

from bench.common import BENCH_SECRET, Context, Result, app_env, percentile, serve
from bench.seed import seed

TITLE = "reads: appeal list, filters and cursors over the seeded appeals"
KEYS = {"city": ("city_admin", "330100"), "district": ("district_admin", "330106"),
        "street": ("street_admin", "330106012")}


def queries(n: int) -> list[tuple[str, str, str, bool]]:
    """(name, key, path, counts towards the target) — the typical admin queries of the issue, then others."""
    from app.core.pagination import encode_cursor

    deep = encode_cursor({"id": n // 10}, BENCH_SECRET)
    return [
        ("city_first_page", "city", "/api/v1/appeals?limit=50", True),
        ("district_status", "district", "/api/v1/appeals?status=in_progress&limit=50", True),
        ("street_first_page", "street", "/api/v1/appeals?limit=50", True),
        ("category_urgency", "city", "/api/v1/appeals?category=land&urgency=red&limit=50", True),
        ("street_category_urgency", "street", "/api/v1/appeals?category=market&urgency=red&limit=50", True),
        ("deep_cursor", "city", f"/api/v1/appeals?limit=50&cursor={deep}", True),
        ("district_deep_cursor", "district", f"/api/v1/appeals?status=closed&limit=50&cursor={deep}", True),
        ("by_number", "city", f"/api/v1/appeals?text=ZQ{_year_of(n)}-{n // 2:06d}&limit=50", True),
        ("street_overdue", "street", "/api/v1/appeals?sla_state=overdue&limit=50", False),
        ("unit_filter", "city", "/api/v1/appeals?unit=330105&limit=50", False),
        ("unit_filter_submitted", "city", "/api/v1/appeals?unit=330105&status=submitted&limit=50", False),
        ("supervised", "city", "/api/v1/appeals?supervised=true&limit=50", False),
        ("title_word_rare", "city", "/api/v1/appeals?text=%E6%97%A0%E6%AD%A4%E6%A0%87%E9%A2%98&limit=50", False),
    ]


def _year_of(n: int) -> int:
    """The filing year of appeal n // 2 in the seeded data (numbers carry the year)."""
    return _NUMBER_YEARS.get(n, 2025)


_NUMBER_YEARS: dict[int, int] = {}


def _keys(url: str) -> dict[str, str]:
    from app.auth.service import create_api_key
    from app.db import make_engine, session_for

    engine = make_engine(url)
    tokens = {}
    with session_for(engine) as session:
        for name, (role, unit) in KEYS.items():
            _, tokens[name] = create_api_key(session, role=role, unit_code=unit, name=f"bench-{name}",  # type: ignore[arg-type]
                                             now=datetime.now(UTC))
    engine.dispose()
    return tokens


def explain(url: str, tokens: dict[str, str], path: str, key: str) -> str:
    """Runs the request in-process, captures the appeal list query and EXPLAINs it with the same parameters."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.db import make_engine
    from app.main import create_app

    engine = make_engine(url)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM appeal" in statement and "ORDER BY appeal.id DESC" in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    app = create_app(Settings(database_url=url, env="test", secret_key=BENCH_SECRET), engine=engine)
    with TestClient(app) as client:
        response = client.get(path, headers={"Authorization": f"Bearer {tokens[key]}"})
        assert response.status_code == 200, response.text
    event.remove(engine, "before_cursor_execute", capture)
    statement, params = captured[-1]
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars().all()
    engine.dispose()
    return statement + "\n" + repr(params) + "\n\n" + "\n".join(plan)


def run(ctx: Context) -> list[Result]:
    db = "bench_zhuqi" if ctx.appeals == 1_000_000 else f"bench_zhuqi_{ctx.appeals}"
    url = ctx.pg_url(db)
    seeded = seed(url, ctx.appeals, reuse=not ctx.reseed, fresh=lambda: ctx.fresh_pg(db), log=ctx.log)
    ctx.log(f"reads: dataset {'reused' if seeded.reused else f'seeded in {seeded.seconds:.0f} s'}: "
            f"{seeded.appeals} appeals, {seeded.enterprises} enterprises in {db}")
    tokens = _keys(url)
    n = seeded.appeals
    _NUMBER_YEARS[n] = _middle_year(url, n)
    samples = 150 if ctx.quick else 300
    rng = random.Random(7)
    timings: dict[str, list[float]] = {}
    items: dict[str, int] = {}
    with serve("app.main:create_app", app_env(url), workers=2, log_path=ctx.workdir / "uvicorn-reads.log") as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            def timed(name: str, key: str, path: str) -> None:
                headers = {"Authorization": f"Bearer {tokens[key]}"}
                for _ in range(10):
                    client.get(path, headers=headers)
                spent = []
                for _ in range(samples):
                    t = time.perf_counter()
                    response = client.get(path, headers=headers)
                    spent.append((time.perf_counter() - t) * 1000)
                    if response.status_code != 200:
                        raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
                timings[name] = spent
                items[name] = len(response.json()["items"])

            ids = [rng.randint(1, n) for _ in range(samples + 10)]
            headers = {"Authorization": f"Bearer {tokens['city']}"}
            for aid in ids[:10]:
                client.get(f"/api/v1/appeals/{aid}", headers=headers)
            spent = []
            for aid in ids[10:]:
                t = time.perf_counter()
                response = client.get(f"/api/v1/appeals/{aid}", headers=headers)
                spent.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.text
            timings["get_one"] = spent
            for name, key, path, _ in queries(n):
                timed(name, key, path)
    base_p99 = percentile(timings["get_one"], 99)
    results = []
    lines = [f"{'query':<24} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} items",
             f"{'get_one (baseline)':<24} {percentile(timings['get_one'], 50):8.1f} {base_p99:8.1f} "
             f"{max(timings['get_one']):8.1f} 1"]
    for name, key, path, counted in queries(n):
        p50, p99 = percentile(timings[name], 50), percentile(timings[name], 99)
        lines.append(f"{name:<24} {p50:8.1f} {p99:8.1f} {max(timings[name]):8.1f} {items[name]}")
        results.append(Result(f"reads.{name}", p99, "ms", "≤ 50 ms" if counted else "info",
                              p99 <= 50 if counted else None,
                              baseline=f"p50 {p50:.1f} ms; get-one p99 {base_p99:.1f} ms; ratio {p99 / base_p99:.2f}; "
                                       f"{items[name]} items; {key} key"))
    ctx.detail(f"reads over {n:,} appeals ({samples} sequential requests per query, uvicorn --workers 2)",
               "\n".join(lines))
    for name, key, path, _ in queries(n):
        ctx.detail(f"EXPLAIN {name} ({key}: {path.split('&cursor=')[0]})", explain(url, tokens, path, key))
    return results



def _middle_year(url: str, n: int) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        number = conn.execute(sa.text("SELECT number FROM appeal WHERE id = :i"), {"i": n // 2}).scalar_one()
    engine.dispose()
    return int(number[2:6])
