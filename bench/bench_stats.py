"""Statistics summary at scale (DESIGN §10: "Statistics summary over 1M appeals ≤ 500 ms").

Seeds N appeals on PostgreSQL with COPY (realistic, seeded-random distributions over ~90 streets, 3,000
enterprises and two years), then times GET /api/v1/stats/summary in-process (auth, SQL, JSON) 20 times per case
and prints one line with p50/p99:

    ZHUQI_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_stats \\
        python bench/bench_stats.py -n 1000000

The database's appeals are REPLACED (truncated, then seeded) unless it already holds exactly N bench appeals;
point it at a scratch database. Nothing generated is written to the repository.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session, select

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH).astimezone(UTC)
SPAN_DAYS = 730
CATEGORIES = {"funding": 20, "labour": 16, "approval": 15, "policy": 13, "market": 12, "energy": 8, "land": 5,
              "talent": 5, "supply_chain": 4, "other": 2}
TEXTS = {
    "funding": ("流动资金紧张，申请续贷", "受海外订单回款周期拉长影响，流动资金缺口较大，原有贷款即将到期，希望协调银行续贷或展期。"),
    "labour": ("熟练技工招聘困难", "订单增长后缺少熟练操作工约三十人，希望协助对接职业院校和人力资源市场。"),
    "approval": ("项目审批进度缓慢", "技改项目环评和能评手续已提交多时，尚未取得批复，影响设备进场安装。"),
    "policy": ("惠企政策兑现咨询", "企业符合研发费用补助条件，但不清楚申报流程和材料要求，希望得到政策辅导。"),
    "market": ("拓展市场渠道需求", "希望参加政府组织的展会和产销对接活动，拓展国内销售渠道。"),
    "energy": ("用电负荷指标不足", "迎峰度夏期间用电负荷指标不足，被要求错峰限产，影响订单交付。"),
    "land": ("扩产用地指标未落实", "扩产项目需新增工业用地约二十亩，用地指标迟迟未落实。"),
    "talent": ("高层次人才子女入学", "引进的高层次人才子女就学问题需要协调，影响人才稳定。"),
    "supply_chain": ("上游原材料供应紧张", "关键原材料供应商停产，供应链中断，希望协调替代供应渠道。"),
    "other": ("厂区周边道路破损", "厂区门口道路破损严重，大货车通行困难，希望尽快修复。"),
}
RESOLVE_DAYS = {"red": 5, "yellow": 14, "green": 28}  # calendar-day approximations of 3/10/20 working days
RESPOND_HOURS = {"red": 24, "yellow": 24, "green": 48}
COLUMNS = (
    "number", "enterprise_id", "street_unit_id", "unit_id", "tier", "title", "description", "category", "kind",
    "source", "production_halted", "safety_risk", "wage_arrears", "attachment_ids", "urgency", "urgency_reasons",
    "urgency_overridden", "status", "sla_state", "policy_version", "routed_at", "original_respond_by", "respond_by",
    "original_resolve_by", "resolve_by", "responded_at", "resolved_at", "closed_at", "urges", "returns", "extensions",
    "extension_days", "reopens", "escalations", "supervised", "rating", "version", "created_at", "updated_at",
)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _status(rng: random.Random, age_days: float) -> str:
    if age_days > 45:
        return _pick(rng, {"closed": 86, "resolved": 2, "rejected": 3, "withdrawn": 2, "merged": 1, "in_progress": 4,
                           "pending_info": 1, "returned": 0.5, "submitted": 0.5})
    return _pick(rng, {"submitted": 10, "in_progress": 35, "pending_info": 5, "returned": 2, "resolved": 15,
                       "closed": 27, "rejected": 3, "withdrawn": 2, "merged": 1})


def _created(rng: random.Random) -> datetime:
    while True:
        day = NOW - timedelta(days=rng.random() * SPAN_DAYS)
        local = day.astimezone(SH)
        if local.weekday() < 5 or rng.random() < 0.3:
            return local.replace(hour=rng.choice((8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 19)),
                                 minute=rng.randrange(60), second=rng.randrange(60)).astimezone(UTC)


def appeal_rows(n: int, streets: list[tuple[int, int, int]], enterprises: dict[int, list[int]], seed: int = 8):
    """Yields COPY rows. streets: (street id, district id, city id)."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 0.6 for i in range(len(streets))]  # some streets are far busier than others
    for i in range(n):
        street, district, city = rng.choices(streets, weights=weights)[0]
        created = _created(rng)
        age = (NOW - created).total_seconds() / 86400
        category = _pick(rng, CATEGORIES)
        urgency = _pick(rng, {"red": 4, "yellow": 26, "green": 70})
        status = _status(rng, age)
        tier = _pick(rng, {"street": 82, "district": 14, "city": 4})
        unit = {"street": street, "district": district, "city": city}[tier]
        respond_by = created + timedelta(hours=RESPOND_HOURS[urgency])
        resolve_by = created + timedelta(days=RESOLVE_DAYS[urgency])
        responded = resolved = closed = rating = None
        if status not in ("submitted",) and not (status in ("rejected", "withdrawn", "merged") and rng.random() < 0.5):
            late = rng.random() < 0.04
            hours = RESPOND_HOURS[urgency] * (1 + rng.random()) if late else rng.expovariate(1 / 4)
            responded = min(created + timedelta(hours=min(hours, RESPOND_HOURS[urgency] * 2)), NOW)
        if status in ("resolved", "closed"):
            window = (resolve_by - created).total_seconds() / 86400
            days = window * (1 + rng.random()) if rng.random() < 0.08 else rng.expovariate(2 / window)
            resolved = max(min(created + timedelta(days=min(days, window * 2)), NOW), responded or created)
            if status == "closed":
                closed = min(resolved + timedelta(days=rng.uniform(0.5, 7)), NOW)
                if rng.random() < 0.85:
                    rating = _pick(rng, {"satisfied": 84, "basically_satisfied": 14, "dissatisfied": 2})
        reopens = 1 if status in ("resolved", "closed", "in_progress") and rng.random() < 0.012 else 0
        title, description = TEXTS[category]
        yield (
            f"B{i:09d}", rng.choice(enterprises[street]), street, unit, tier, title, description, category,
            _pick(rng, {"individual": 95, "common": 4, "institutional": 1}), _pick(rng, {"visit": 50, "mini_program": 40,
                                                                                      "hotline": 8, "chatbot": 2}),
            False, False, False, "[]", urgency, "[]", False, status, "on_track", 1, created, respond_by, respond_by,
            resolve_by, resolve_by, responded, resolved, closed, 0, int(rng.random() < 0.03), 0, 0, reopens,
            {"street": 0, "district": 1, "city": 2}[tier], tier == "city", rating, 1, created, closed or created,
        )


def setup_tree(session: Session) -> tuple[list[tuple[int, int, int]], dict[int, list[int]]]:
    from app.auth.principal import Principal
    from app.demo import seed_demo
    from app.enterprises.models import Enterprise
    from app.enterprises.uscc import make_uscc
    from app.enums import Role, Tier
    from app.units import service as units
    from app.units.models import Unit
    from app.units.schemas import UnitCreate

    seed_demo(session, now=NOW, with_appeals=False)
    districts = list(session.exec(select(Unit).where(Unit.tier == "district", Unit.kind == "area")).all())
    root = Principal(role=Role.system, label="bench", unit_path="/")
    extra = [UnitCreate(code=f"{d.code}{k:03d}B", name=f"{d.name}第{k}街道", tier=Tier.street, parent_code=d.code)
             for d in districts for k in range(1, 14)]
    existing = {u.code for u in session.exec(select(Unit)).all()}
    units.import_units(session, root, [u for u in extra if u.code not in existing], now=NOW)
    all_units = {u.id: u for u in session.exec(select(Unit)).all()}
    city = next(u for u in all_units.values() if u.parent_id is None)
    streets = [(u.id, u.parent_id, city.id) for u in all_units.values() if u.tier == "street" and u.kind == "area"]
    by_street: dict[int, list[int]] = {}
    for e in session.exec(select(Enterprise)).all():
        by_street.setdefault(e.street_unit_id, []).append(e.id)  # type: ignore[arg-type]
    if sum(len(v) for v in by_street.values()) < 3000:
        for i in range(3000):
            street = streets[i % len(streets)][0]
            enterprise = Enterprise(uscc=make_uscc(f"91330100{i:09d}"), name=f"杭州测试企业{i:04d}有限公司",
                                    street_unit_id=street, contact_name="测试", contact_mobile="13800000000",
                                    created_at=NOW, updated_at=NOW)
            session.add(enterprise)
        session.commit()
        by_street = {}
        for e in session.exec(select(Enterprise)).all():
            by_street.setdefault(e.street_unit_id, []).append(e.id)  # type: ignore[arg-type]
    return streets, by_street


def seed(engine: sa.Engine, n: int) -> None:
    with Session(engine, expire_on_commit=False) as session:
        count = session.exec(sa.select(sa.func.count()).select_from(sa.text("appeal"))).one()[0]  # type: ignore[call-overload]
        bench = session.exec(sa.select(sa.func.count()).select_from(sa.text("appeal"))  # type: ignore[call-overload]
                             .where(sa.text("number LIKE 'B%'"))).one()[0]
        if count == n and bench == n:
            print(f"reusing {n} seeded appeals", file=sys.stderr)
            return
        session.execute(sa.text("TRUNCATE appeal_event, problem_group_appeal, callback_task, appeal RESTART IDENTITY "
                                "CASCADE"))
        session.commit()
        streets, enterprises = setup_tree(session)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY appeal ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for i, row in enumerate(appeal_rows(n, streets, enterprises), start=1):
                copy.write_row(row)
                if i % 200_000 == 0:
                    print(f"  copied {i} appeals ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) appeal"))
    print(f"seeded {n} appeals in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    from app.stats import rollup

    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        buckets = rollup.refresh(session, now=NOW)  # COPY queued every (day, street): one full rebuild
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) appeal_stats_day"))
    print(f"built the daily rollup ({buckets} buckets) in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _change_appeals(engine: sa.Engine, rng: random.Random, count: int, n: int) -> None:
    """What the workflow does all day: appeals anywhere in the two years signed for, resolved, rated."""
    ids = [rng.randint(1, n) for _ in range(count)]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE appeal SET urges = urges + 1, rating = CASE WHEN rating IS NULL THEN 'satisfied' "
                             "ELSE NULL END WHERE id = ANY(:ids)"), {"ids": ids})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(database_url: str, n: int, calls: int = 20) -> dict[str, tuple[int, float, float]]:
    """Seeds (unless already seeded with n bench appeals) and times the summary: {case: (appeals, p50, p99)}."""
    from fastapi.testclient import TestClient

    from app.auth.service import create_api_key
    from app.config import Settings
    from app.core import migrate
    from app.db import make_engine
    from app.main import create_app

    engine = make_engine(database_url)
    migrate.upgrade(engine)
    seed(engine, n)
    with Session(engine, expire_on_commit=False) as session:
        _, token = create_api_key(session, role="city_admin", unit_code="330100", name="bench", now=NOW)  # type: ignore[arg-type]
    app = create_app(Settings(database_url=database_url, env="test", secret_key="b" * 40), engine=engine,
                     clock=lambda: NOW)
    everything = {"from": "2024-11-01", "to": "2026-11-20"}
    cases: dict[str, tuple[dict[str, str], int]] = {  # name: (query, appeals changed before each call)
        "city all": (everything, 0),
        "city all, 100 appeals changed before each call": (everything, 100),
        "city year to date": ({"from": "2026-01-01"}, 0),
        "district all": ({**everything, "unit": "330106"}, 0),
    }
    rng = random.Random(1)
    results: dict[str, tuple[int, float, float]] = {}
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for name, (params, changes) in cases.items():
            times = []
            for i in range(calls + 2):
                if changes:
                    _change_appeals(engine, rng, changes, n)
                started = time.perf_counter()
                response = client.get("/api/v1/stats/summary", params=params, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if i >= 2:  # two warm-up calls
                    times.append(elapsed)
            results[name] = (response.json()["collected"], statistics.median(times), percentile(times, 0.99))
    engine.dispose()
    return results


def run(ctx):  # type: ignore[no-untyped-def]
    """`python -m bench` entry: a fresh scratch database, the dataset size of the run, one line per case."""
    from bench.common import Result

    url = ctx.fresh_pg("bench_zhuqi_stats")
    results = measure(url, ctx.appeals)
    return [
        Result(f"stats.summary[{name}]", p99, "ms p99", "≤ 500 ms", p99 <= 500,
               baseline=f"{appeals:,} appeals, p50 {p50:.0f} ms")
        for name, (appeals, p50, p99) in results.items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="appeals to seed (default 1,000,000)")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("ZHUQI_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("set ZHUQI_BENCH_DATABASE_URL (or --database-url) to a scratch PostgreSQL database")
    results = measure(args.database_url, args.n, args.calls)
    print(f"bench_stats N={args.n} summary x{args.calls}: " + " | ".join(
        f"{name} ({appeals} appeals): p50={p50:.0f}ms p99={p99:.0f}ms" for name, (appeals, p50, p99) in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
