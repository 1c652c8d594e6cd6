"""Programme figures at scale (DESIGN §10: "Programme figures (§11) over 1M appeals, 500k visits and 20k
enterprises ≤ 500 ms"), against a count(*) over the same rows in the same run.

On the `bench.seed` dataset (1M appeals, 20k enterprises; `--quick`: 100k / 2k) plus `bench.seed_programme`
(cadres, pairings, visits = appeals / 2), times `GET /api/v1/stats/programme` in-process (auth, SQL, JSON): two
warm-up calls then `calls` timed ones per case. The baseline is one statement counting the same rows the figures
read — the period's appeals, visits and the enterprises of the scope — with plain count(*)s.

    python -m bench --only programme            # or, alone:
    python -m bench.bench_programme --appeals 1000000 [--db bench_zhuqi_programme] [--calls 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

TITLE = "programme figures over 1M appeals, 500k visits, 20k enterprises"
DB = "bench_zhuqi_programme"


def prepare(url: str, appeals: int, *, fresh: Any, log: Any) -> datetime:
    """Seeds (or reuses) the dataset; builds the statistics rollup (COPY bypassed the triggers). Returns the
    dataset's `now`."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.stats import rollup
    from bench.seed import seed
    from bench.seed_programme import seed_programme

    seeded = seed(url, appeals, fresh=fresh, log=log)
    log(f"appeals: {'reused' if seeded.reused else f'seeded in {seeded.seconds:.0f} s'}")
    info = seed_programme(url, appeals // 2, log=log)
    log(f"programme: {'reused' if info['reused'] else 'seeded'} {info['cadres']} cadres, {info['pairings']} pairings, "
        f"{info['visits']} visits")
    engine = make_engine(url)
    with engine.connect() as conn:
        now = datetime.fromisoformat(json.loads(conn.execute(sa.text("SELECT info FROM bench_seed")).scalar_one())["now"])
        built = conn.execute(sa.text("SELECT count(*) FROM appeal_stats_day")).scalar_one()
    if not built:
        started = time.monotonic()
        with Session(engine, expire_on_commit=False) as session:
            rollup.rebuild(session, now=now)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE appeal_stats_day"))
        log(f"rollup built in {time.monotonic() - started:.0f} s")
    engine.dispose()
    return now


def baseline_sql(unit_ids: list[int] | None) -> str:
    scope_a = "" if unit_ids is None else f" AND street_unit_id = ANY('{{{','.join(map(str, unit_ids))}}}')"
    return (
        "SELECT (SELECT count(*) FROM appeal WHERE created_at >= :start AND created_at < :end" + scope_a + ")"
        " + (SELECT count(*) FROM visit WHERE visited_on >= :first AND visited_on <= :last" + scope_a + ")"
        " + (SELECT count(*) FROM enterprise WHERE created_at < :end" + scope_a + ")"
    )


def measure(url: str, now: datetime, *, calls: int, log: Any) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient
    from sqlmodel import Session, col, select

    from app.auth.service import create_api_key
    from app.config import Settings
    from app.db import make_engine
    from app.main import create_app
    from app.stats.periods import resolve_period
    from app.units.models import Unit

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        _, token = create_api_key(session, role="city_admin", unit_code="330100", name="bench", now=now)  # type: ignore[arg-type]
        paths = {u.code: u.path for u in session.exec(select(Unit)).all()}

        def subtree(code: str) -> list[int]:
            return list(session.exec(select(Unit.id).where(col(Unit.path).startswith(paths[code]))).all())  # type: ignore[arg-type]

        scopes = {"330100": None, "330106": subtree("330106"), "330106012": subtree("330106012")}
    app = create_app(Settings(database_url=url, env="test", secret_key="b" * 40), engine=engine, clock=lambda: now)
    three_years = date(now.year - 3, now.month, 1).isoformat()
    cases = [  # (name, query, scope for the baseline)
        ("city, year to date", {}, "330100"),
        ("city, three years", {"from": three_years}, "330100"),
        ("西湖区, year to date", {"unit": "330106"}, "330106"),
        ("西溪街道, year to date", {"unit": "330106012"}, "330106012"),
        ("市经信局 (department), year to date", {"unit": "330100-JXJ"}, None),
    ]
    results = []
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for name, params, scope in cases:
            times, base = [], []
            for i in range(calls + 2):
                started = time.perf_counter()
                response = client.get("/api/v1/stats/programme", params=params, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if i >= 2:
                    times.append(elapsed)
                if scope is not None:
                    period = resolve_period(params.get("from"), params.get("to"), now=now)
                    bound = {"start": period.start, "end": period.end, "first": period.first_day,
                             "last": period.last_day}
                    with engine.connect() as conn:
                        started = time.perf_counter()
                        rows = conn.execute(sa.text(baseline_sql(scopes[scope])), bound).scalar_one()
                        if i >= 2:
                            base.append((time.perf_counter() - started) * 1000)
            body = response.json()
            ordered = sorted(times)
            results.append({
                "case": name, "p50": statistics.median(times), "max": ordered[-1],
                "p95": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
                "baseline_p50": statistics.median(base) if base else None, "rows": rows if scope else None,
                "sentence": body["sentence"], "enterprises": body["enterprises_total"], "visits": body["visits"],
                "appeals": body["appeals_collected"], "overdue": body["visit_overdue"],
            })
            log(f"{name}: p50 {results[-1]['p50']:.0f} ms, max {results[-1]['max']:.0f} ms; "
                f"count(*) {results[-1]['baseline_p50'] or 0:.0f} ms; {body['sentence']}")
    engine.dispose()
    return results


def run(ctx):  # type: ignore[no-untyped-def]
    """`python -m bench` entry."""
    from bench.common import Result

    url = ctx.pg_url(DB)
    if not ctx.pg_exists(DB):
        ctx.fresh_pg(DB)
    now = prepare(url, ctx.appeals, fresh=lambda: ctx.fresh_pg(DB), log=ctx.log)
    results = measure(url, now, calls=10 if ctx.quick else 20, log=ctx.log)
    out = []
    for r in results:
        base = (f"count(*) over the same {r['rows']:,} rows p50 {r['baseline_p50']:.0f} ms"
                if r["baseline_p50"] is not None else "no area scope: no plain count")
        out.append(Result(f"programme[{r['case']}]", r["max"], "ms max", "≤ 500 ms", r["max"] <= 500,
                          baseline=f"p50 {r['p50']:.0f} ms; {base}"))
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.common import DEFAULT_PG, Context

    parser = argparse.ArgumentParser(prog="python -m bench.bench_programme", description=TITLE)
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    ctx = Context(pg=args.pg)
    url = ctx.pg_url(args.db)
    if not ctx.pg_exists(args.db):
        ctx.fresh_pg(args.db)
    now = prepare(url, args.appeals, fresh=lambda: ctx.fresh_pg(args.db), log=print)
    for r in measure(url, now, calls=args.calls, log=print):
        print(json.dumps(r, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
