"""A realistic appeal dataset for the read, sweep and statistics benchmarks, written with COPY.

`python -m bench.seed --appeals 1000000 [--db bench_zhuqi]` (or `seed(url, n)` from a benchmark) builds, on a
fresh database migrated to head:
- the demo city (杭州市: 6 districts, 13 streets, 5 departments, 4 liaisons) from `app.demo`;
- enterprises spread over the streets (busy streets have more), one per ~50 appeals;
- `n` appeals over three years, volume growing with time; a few enterprises file many appeals; categories,
  urgency, owners (street / district after escalation or for 用地 / city / departments), statuses by age (old ones
  closed, recent ones open), deadlines, SLA states, response/resolution times and ratings consistent with them.
The generator is seeded, so the same `n` gives the same data. Rows are generated in Python and streamed with COPY
(indexes dropped during the load and rebuilt after, foreign keys trusted: the ids are generated consistently), then
ANALYZEd. A `bench_seed` row records what was seeded, so a benchmark can reuse the dataset across runs.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

SEED_VERSION = 1
SEED = 20261121
YEARS = 3

CATEGORIES = {"funding": 18, "labour": 15, "approval": 14, "market": 10, "policy": 9, "land": 8, "talent": 8,
              "energy": 7, "supply_chain": 6, "other": 5}
URGENCY = {"green": 60, "yellow": 28, "red": 12}
SOURCES = {"visit": 45, "mini_program": 35, "hotline": 12, "api": 5, "chatbot": 3}
# Statuses by age (DESIGN §1: most appeals are solved within two months).
STATUS_OLD = {"closed": 89, "rejected": 3, "withdrawn": 4, "merged": 1.5, "resolved": 0.5, "in_progress": 1.5,
              "pending_info": 0.5}
STATUS_MID = {"closed": 60, "resolved": 12, "in_progress": 18, "pending_info": 3, "returned": 1, "rejected": 2,
              "withdrawn": 3, "merged": 1}
STATUS_NEW = {"submitted": 25, "in_progress": 40, "pending_info": 5, "returned": 3, "resolved": 15, "closed": 8,
              "withdrawn": 2, "rejected": 2}
OPEN = {"submitted", "in_progress", "pending_info", "returned", "resolved"}
RESOLVE_DAYS = {"red": 5, "yellow": 14, "green": 28}  # working-day windows, as calendar days
TITLES = {
    "funding": ["流动资金贷款续贷困难", "出口订单回款慢资金周转紧张", "技改项目贴息未到位"],
    "land": ["新厂房用地指标不足", "工业用地出让进度滞后", "厂区扩建用地审批"],
    "labour": ["熟练技工招聘困难", "春节后员工返岗率低", "外来务工人员子女入学"],
    "talent": ["高层次人才住房补贴", "研发人员落户办理", "博士后工作站申报"],
    "energy": ["用电增容审批迟迟未办", "夏季有序用电影响生产", "天然气管道接入"],
    "approval": ["环评批复超期", "施工许可办理缓慢", "消防验收排队时间长"],
    "market": ["海外展会补贴申报", "政府采购准入咨询", "商标被抢注维权"],
    "supply_chain": ["核心零部件断供", "上游原材料涨价", "物流通道受阻"],
    "policy": ["研发费用加计扣除政策不清楚", "专精特新认定条件咨询", "稳岗返还未到账"],
    "other": ["厂区周边道路积水", "企业周边公交线路调整", "园区食堂证照办理"],
}
REASONS = {"red": ["停产停工", "涉及欠薪", "影响职工100人以上", "截止日期在5个工作日内"],
           "yellow": ["影响职工20人以上", "涉及金额100万元以上", "截止日期在20个工作日内", "企业二次催办"],
           "green": ["常规诉求"]}
RESOLUTIONS = ["已解决", "已解决", "已解决", "部分解决", "已解释答复", "暂不具备解决条件"]
RATINGS = {"satisfied": 85, "basically_satisfied": 12, "dissatisfied": 3}

APPEAL_COLUMNS = (
    "id", "number", "enterprise_id", "street_unit_id", "unit_id", "tier", "title", "description", "category", "kind",
    "source", "production_halted", "safety_risk", "wage_arrears", "employees_affected", "amount_cny",
    "hard_deadline", "attachment_ids", "urgency", "urgency_reasons", "urgency_overridden", "status", "sla_state",
    "liaison_user_id", "policy_version", "routed_at", "respond_by", "plan_by", "feedback_by", "resolve_by",
    "unit_resolve_by", "resolve_started_at", "original_respond_by", "original_resolve_by", "responded_at",
    "resolved_at", "closed_at", "paused_at", "next_due_at", "urges", "returns", "extensions", "extension_days",
    "reopens", "escalations", "supervised", "supervised_at", "resolution_code", "public_reply", "rating",
    "merged_into_id", "version", "created_at", "updated_at",
)
ENTERPRISE_COLUMNS = ("id", "uscc", "name", "street_unit_id", "address", "contact_name", "contact_mobile", "tags",
                      "liaison_user_id", "created_at", "updated_at")


@dataclass(frozen=True)
class Seeded:
    url: str
    appeals: int
    enterprises: int
    seconds: float
    reused: bool


def _picker(rng: random.Random, weights: dict[str, float]) -> Any:
    keys = list(weights)
    cum = []
    total = 0.0
    for k in keys:
        total += weights[k]
        cum.append(total)

    def pick() -> str:
        return keys[bisect.bisect(cum, rng.random() * total)]

    return pick


def _val(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def _recorded(engine: sa.Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("bench_seed"):
            return None
        row = conn.execute(sa.text("SELECT info FROM bench_seed")).scalar_one_or_none()
    return json.loads(row) if row else None


def seed(url: str, appeals: int, *, reuse: bool = True, fresh: Any = None, log: Any = print) -> Seeded:
    """Seeds `url` with `appeals` appeals unless it already holds exactly that dataset (`reuse`). `fresh()` is
    called to drop and re-create the database first."""
    from app.core import migrate
    from app.db import make_engine

    engine = make_engine(url)
    wanted = {"version": SEED_VERSION, "appeals": appeals, "seed": SEED, "heads": sorted(migrate.head_revisions())}
    try:
        info = _recorded(engine)
    except sa.exc.OperationalError:
        info = None
    if reuse and info is not None and {k: info.get(k) for k in wanted} == wanted:
        engine.dispose()
        return Seeded(url, appeals, int(info["enterprises"]), 0.0, True)
    engine.dispose()
    started = time.monotonic()
    if fresh is not None:
        fresh()
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(SEED)
    units, liaisons = _demo_city(engine, now)
    enterprises = _enterprises(engine, rng, units, liaisons, max(200, appeals // 50), now)
    log(f"seed: {len(enterprises)} enterprises; generating {appeals} appeals")
    _appeals(engine, rng, units, liaisons, enterprises, appeals, now, log)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_seed (info text NOT NULL)"))
        conn.execute(sa.text("DELETE FROM bench_seed"))
        conn.execute(sa.text("INSERT INTO bench_seed (info) VALUES (:i)"),
                     {"i": json.dumps({**wanted, "enterprises": len(enterprises), "now": now.isoformat()})})
    engine.dispose()
    return Seeded(url, appeals, len(enterprises), time.monotonic() - started, False)


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    tier: str
    kind: str
    path: str


def _demo_city(engine: sa.Engine, now: datetime) -> tuple[dict[str, UnitRow], dict[str, int]]:
    from app.db import session_for
    from app.demo import seed_demo

    with session_for(engine) as session:
        seed_demo(session, now=now, with_appeals=False)
    with engine.connect() as conn:
        units = {r.code: UnitRow(r.id, r.code, r.name, r.tier, r.kind, r.path)
                 for r in conn.execute(sa.text("SELECT id, code, name, tier, kind, path FROM unit"))}
        liaisons = {code: uid for uid, code in conn.execute(sa.text(
            "SELECT u.id, n.code FROM app_user u JOIN unit n ON n.id = u.unit_id WHERE u.role = 'liaison'"))}
    return units, liaisons


def _copy(engine: sa.Engine, table: str, columns: tuple[str, ...], lines: Any) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute("SET session_replication_role = replica")  # trust the generated foreign keys
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for chunk in lines:
                    copy.write(chunk)
            cur.execute("SET session_replication_role = DEFAULT")
        raw.commit()
    finally:
        raw.close()


def _enterprises(engine: sa.Engine, rng: random.Random, units: dict[str, UnitRow], liaisons: dict[str, int],
                 count: int, now: datetime) -> list[tuple[int, int]]:
    """Returns (enterprise id, street id) of every enterprise, demo ones included."""
    from app.enterprises.uscc import make_uscc

    streets = [u for u in units.values() if u.tier == "street" and u.kind == "area"]
    weights = [rng.uniform(0.4, 2.5) for _ in streets]
    with engine.connect() as conn:
        existing = [(r.id, r.street_unit_id) for r in conn.execute(sa.text("SELECT id, street_unit_id FROM enterprise"))]
        start = int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM enterprise")).scalar_one()) + 1
    industries = ["智造科技", "精密机械", "新材料", "纺织", "电子", "生物医药", "食品", "文创设计", "物流", "汽配"]
    tags = [[], [], ["规上企业"], ["专精特新"], ["外贸"], ["规上企业", "外贸"], ["规上企业", "专精特新"]]
    rows = []
    made = list(existing)
    for i in range(count):
        street = rng.choices(streets, weights)[0]
        district = street.path.strip("/").split("/")[1]
        eid = start + i
        uscc = make_uscc(f"91{district}MB{eid:07d}")
        liaison = liaisons.get(street.code) if rng.random() < 0.3 else None
        rows.append("\t".join(_val(v) for v in (
            eid, uscc, f"杭州{street.name[:2]}{industries[eid % len(industries)]}{eid}号有限公司", street.id,
            f"杭州市{street.name}工业路 {eid % 900 + 1} 号", "联系人", f"139{eid % 100_000_000:08d}",
            json.dumps(rng.choice(tags), ensure_ascii=False), liaison, now, now)) + "\n")
        made.append((eid, street.id))
    _copy(engine, "enterprise", ENTERPRISE_COLUMNS, ["".join(rows)])
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setval('enterprise_id_seq', (SELECT max(id) FROM enterprise))"))
    return made


def _secondary_indexes(conn: sa.Connection, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(sa.text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t AND NOT EXISTS ("
        " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"), {"t": table}).all()
    return [(r[0], r[1]) for r in rows]


def _appeals(engine: sa.Engine, rng: random.Random, units: dict[str, UnitRow], liaisons: dict[str, int],
             enterprises: list[tuple[int, int]], n: int, now: datetime, log: Any) -> None:
    by_id = {u.id: u for u in units.values()}
    parent_area = {}
    for u in units.values():
        codes = u.path.strip("/").split("/")
        above = [units[c] for c in reversed(codes[:-1])]
        parent_area[u.id] = next((a for a in above if a.kind == "area" and a.tier != u.tier), None)
    departments = {t: [u for u in units.values() if u.kind == "department" and u.tier == t] for t in ("district", "city")}
    # A few enterprises file many appeals: Pareto-like weights.
    weights = [rng.paretovariate(1.3) for _ in enterprises]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    pick_category = _picker(rng, CATEGORIES)
    pick_urgency = _picker(rng, URGENCY)
    pick_source = _picker(rng, SOURCES)
    pick_status = {"old": _picker(rng, STATUS_OLD), "mid": _picker(rng, STATUS_MID), "new": _picker(rng, STATUS_NEW)}
    pick_rating = _picker(rng, RATINGS)
    span = timedelta(days=365 * YEARS).total_seconds()
    start = now - timedelta(days=365 * YEARS)
    # Volume grows with time: density ∝ 1 + t on [0, 1] (inverse CDF), sorted so ids follow filing order.
    offsets = sorted(((-1 + (1 + 3 * rng.random()) ** 0.5) for _ in range(n)))
    with engine.begin() as conn:
        dropped = _secondary_indexes(conn, "appeal")
        for name, _ in dropped:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
    number_width = 6
    t0 = time.monotonic()

    def lines() -> Any:
        chunk: list[str] = []
        for i in range(n):
            aid = i + 1
            created = start + timedelta(seconds=offsets[i] * span)
            age = (now - created).days
            eid, street_id = enterprises[bisect.bisect(cum, rng.random() * total)]
            street = by_id[street_id]
            category = pick_category()
            urgency = pick_urgency()
            status = pick_status["old" if age > 60 else "mid" if age > 20 else "new"]()
            # Owner: the street, or up the ladder (escalation, 用地 starts at the district), or a department.
            r = rng.random()
            escalations = 0
            owner = street
            if category == "land" or r < 0.15:
                owner = parent_area[street.id] or street
                escalations = 0 if category == "land" else 1
            elif r < 0.19:
                owner = parent_area[parent_area[street.id].id]  # type: ignore[union-attr]
                escalations = 2
            elif r < 0.22:
                owner = rng.choice(departments["district"] + departments["city"])
            resolve_days = RESOLVE_DAYS[urgency]
            respond_by = created + timedelta(hours=24)
            resolve_by = created + timedelta(days=resolve_days)
            signed = status not in ("submitted", "returned", "rejected") or rng.random() < 0.3
            responded = created + timedelta(hours=rng.uniform(0.5, 30)) if signed else None
            resolved = closed = None
            resolution = reply = rating = None
            reopens = 0
            if status in ("resolved", "closed"):
                on_time = rng.random() < 0.92
                resolved = created + timedelta(days=rng.uniform(1, resolve_days) if on_time
                                               else rng.uniform(resolve_days, resolve_days * 3))
                resolved = min(resolved, now - timedelta(minutes=5))
                resolution = rng.choice(RESOLUTIONS)
                reply = "已协调相关部门办理，详见答复。"
                if status == "closed":
                    closed = min(resolved + timedelta(days=rng.uniform(0.5, 7)), now)
                    rating = pick_rating()
                    reopens = 1 if rating == "dissatisfied" else 0
            elif status in ("rejected", "withdrawn", "merged"):
                closed = min(created + timedelta(days=rng.uniform(0.2, 10)), now)
            open_ = status in OPEN
            sla_state = "on_track"
            next_due = None
            if open_:
                if now > resolve_by:
                    sla_state = "overdue"
                elif now > created + (resolve_by - created) * 0.8:
                    sla_state = "due_soon"
                # Future: the sweeper has already handled what was due (the sweep benchmark seeds its own).
                next_due = now + timedelta(minutes=rng.uniform(5, 60 * 24 * 7))
            supervised = owner.tier == "city" and open_ and rng.random() < 0.5
            amount = rng.choice([None, None, 200_000, 1_500_000, 12_000_000]) if category == "funding" else None
            employees = rng.choice([None, 5, 25, 120]) if category in ("labour", "energy", "supply_chain") else None
            halted = urgency == "red" and rng.random() < 0.3
            wage = urgency == "red" and category == "labour" and rng.random() < 0.3
            title = rng.choice(TITLES[category])
            reasons = json.dumps(rng.sample(REASONS[urgency], 1), ensure_ascii=False)
            number = f"ZQ{created.year}-{aid:0{number_width}d}"
            liaison = liaisons.get(street.code) if rng.random() < 0.5 else None
            values = (
                aid, number, eid, street.id, owner.id, owner.tier, title,
                f"{title}：企业反映情况，希望协调解决。（第 {aid} 号）", category, "individual", pick_source(),
                halted, halted and rng.random() < 0.2, wage, employees, amount, None, "[]", urgency, reasons, False,
                status, sla_state, liaison, 1, created if escalations == 0 else created + timedelta(days=2),
                respond_by, None, None, resolve_by, resolve_by, responded or created, respond_by, resolve_by,
                responded, resolved, closed, None, next_due, 0, 0, 0, 0, reopens, escalations, supervised,
                created + timedelta(days=resolve_days) if supervised else None, resolution, reply, rating, None,
                1 + escalations + (1 if signed else 0) + (2 if resolved else 0) + (1 if closed else 0),
                created, closed or resolved or responded or created,
            )
            chunk.append("\t".join(_val(v) for v in values) + "\n")
            if len(chunk) >= 20_000:
                yield "".join(chunk)
                chunk = []
                if aid % 200_000 == 0:
                    log(f"seed: {aid} appeals ({time.monotonic() - t0:.0f} s)")
        if chunk:
            yield "".join(chunk)

    _copy(engine, "appeal", APPEAL_COLUMNS, lines())
    log(f"seed: appeals copied in {time.monotonic() - t0:.0f} s; rebuilding {len(dropped)} indexes")
    with engine.begin() as conn:
        conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
        for _, definition in dropped:
            conn.execute(sa.text(definition))
        conn.execute(sa.text("SELECT setval('appeal_id_seq', (SELECT max(id) FROM appeal))"))
        conn.execute(sa.text("SELECT setval('appeal_number_seq', (SELECT max(id) FROM appeal))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE appeal"))
        conn.execute(sa.text("VACUUM ANALYZE enterprise"))
    log(f"seed: done in {time.monotonic() - t0:.0f} s")


def main(argv: list[str] | None = None) -> int:
    from bench.common import DEFAULT_PG, Context

    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--db", default="bench_zhuqi", help="database name (must start with bench_)")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--force", action="store_true", help="re-create even if already seeded")
    parser.add_argument("--visits", type=int, default=0,
                        help="also cadres, pairings and this many visits (bench/seed_programme.py)")
    args = parser.parse_args(argv)
    ctx = Context(pg=args.pg)
    result = seed(ctx.pg_url(args.db), args.appeals, reuse=not args.force, fresh=lambda: ctx.fresh_pg(args.db))
    print(f"{'reused' if result.reused else 'seeded'} {result.appeals} appeals, {result.enterprises} enterprises "
          f"in {result.url} ({result.seconds:.0f} s)")
    if args.visits:
        from bench.seed_programme import seed_programme

        info = seed_programme(result.url, args.visits, reuse=not args.force)
        print(f"{'reused' if info['reused'] else 'seeded'} {info['cadres']} cadres, {info['pairings']} pairings, "
              f"{info['visits']} visits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
