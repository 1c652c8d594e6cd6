"""Cadres, pairings and visits on top of a `bench.seed` dataset (DESIGN §11), in realistic proportions.

`python -m bench.seed --appeals 1000000 --visits 500000` (or `seed_programme(url, visits)`) adds, to a database
seeded by `bench.seed.seed`:
- cadres (选派干部), one per ~2.5 paired enterprises, dispatched by city departments (35%), district departments
  (15%), districts (20%) and streets (30%; they serve their own street's enterprises);
- pairings: 80% of the enterprises paired now (a pairing begun over the last three years, recent ones more often),
  15% of those with an earlier, ended pairing; a third of the unpaired ones had a pairing that ended;
- `visits` visits over the three years, most to paired enterprises (Pareto-like: some are visited far more often),
  dated between the pairing's start and today, by the pairing's cadre; modes mostly on site;
- key levels (重点企业): 5% city, ~10% district, ~13% street.
The city's own report has 4407 cadres for 8226 enterprises and 41250 visits against 7869 appeals; with 20k
enterprises and 1M appeals the DESIGN §10 target fixes 500k visits. COPY as in bench.seed; a `bench_seed_programme`
row records what was seeded so a run reuses it.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.seed import SEED, _copy, _picker, _val

VERSION = 1
YEARS = 3
CADRE_UNITS = {"city_department": 35, "district_department": 15, "district": 20, "street": 30}
MODES = {"on_site": 70, "phone": 15, "video": 5, "meeting": 10}
USER_COLUMNS = ("id", "name", "mobile", "role", "unit_id", "dingtalk_userid", "active", "created_at")
PAIRING_COLUMNS = ("id", "enterprise_id", "user_id", "unit_id", "note", "started_at", "started_by", "ended_at",
                   "ended_by")
VISIT_COLUMNS = ("id", "enterprise_id", "street_unit_id", "visited_on", "mode", "visitor_user_id", "visitor_unit_id",
                 "participant_user_ids", "summary", "policy_ids", "via", "created_at")


def _recorded(engine: sa.Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("bench_seed_programme"):
            return None
        row = conn.execute(sa.text("SELECT info FROM bench_seed_programme")).scalar_one_or_none()
    return json.loads(row) if row else None


def seed_programme(url: str, visits: int, *, reuse: bool = True, log: Any = print) -> dict[str, Any]:
    """Adds cadres, pairings and visits to a `bench.seed` database (replacing earlier ones). Returns the counts."""
    from app.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        appeals_seed = conn.execute(sa.text("SELECT info FROM bench_seed")).scalar_one()
    wanted = {"version": VERSION, "visits": visits, "seed": SEED, "appeals_seed": appeals_seed}
    info = _recorded(engine)
    if reuse and info is not None and {k: info.get(k) for k in wanted} == wanted:
        engine.dispose()
        return {**info, "reused": True}
    started = time.monotonic()
    now = datetime.fromisoformat(json.loads(appeals_seed)["now"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE appeal SET visit_id = NULL WHERE visit_id IS NOT NULL"))
        conn.execute(sa.text("DELETE FROM visit"))
        conn.execute(sa.text("DELETE FROM pairing"))
        conn.execute(sa.text("UPDATE enterprise SET liaison_user_id = NULL WHERE liaison_user_id IN "
                             "(SELECT id FROM app_user WHERE dingtalk_userid LIKE 'bench-cadre-%')"))
        conn.execute(sa.text("DELETE FROM app_user WHERE dingtalk_userid LIKE 'bench-cadre-%'"))
        units = conn.execute(sa.text("SELECT id, tier, kind, parent_id FROM unit")).all()
        enterprises = conn.execute(sa.text("SELECT id, street_unit_id FROM enterprise ORDER BY id")).all()
        first_user = int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM app_user")).scalar_one()) + 1
    rng = random.Random(SEED + 11)
    pools = {
        "city_department": [u.id for u in units if u.kind == "department" and u.tier == "city"],
        "district_department": [u.id for u in units if u.kind == "department" and u.tier == "district"],
        "district": [u.id for u in units if u.kind == "area" and u.tier == "district"],
        "street": [u.id for u in units if u.kind == "area" and u.tier == "street"],
    }
    paired_now = [e for e in enterprises if rng.random() < 0.8]
    n_cadres = max(10, int(len(paired_now) / 2.5))
    pick_pool = _picker(rng, CADRE_UNITS)
    cadres: list[tuple[int, int]] = []  # (user id, unit id)
    street_cadres: dict[int, list[int]] = {}
    other_cadres: list[int] = []
    user_rows = []
    for i in range(n_cadres):
        uid, unit = first_user + i, rng.choice(pools[pick_pool()])
        cadres.append((uid, unit))
        (street_cadres.setdefault(unit, []) if unit in pools["street"] else other_cadres).append(i)
        user_rows.append("\t".join(_val(v) for v in (uid, f"选派干部{i:05d}", f"137{i:08d}", "liaison", unit,
                                                     f"bench-cadre-{i}", True, now)) + "\n")
    _copy(engine, "app_user", USER_COLUMNS, ["".join(user_rows)])

    span = YEARS * 365 * 86400
    pairing_rows, pid = [], 0
    history: dict[int, tuple[int, datetime, datetime]] = {}  # enterprise → (cadre index, visits from, visits to)
    street_of = dict(enterprises)

    def cadre_for(street: int) -> int:
        local = street_cadres.get(street)
        return rng.choice(local) if local and rng.random() < 0.4 else rng.choice(other_cadres)

    def pairing(eid: int, cadre: int, start: datetime, end: datetime | None) -> str:
        nonlocal pid
        pid += 1
        uid, unit = cadres[cadre]
        return "\t".join(_val(v) for v in (pid, eid, uid, unit, None, start, "bench", end,
                                           "bench" if end else None)) + "\n"

    paired_ids = {e.id for e in paired_now}
    for eid, street in enterprises:
        paired = eid in paired_ids
        if not paired and rng.random() > 1 / 3:
            continue
        cadre = cadre_for(street)
        start = now - timedelta(seconds=span * (1 - rng.random() ** 0.7))  # recent pairings more often
        end = None if paired else start + (now - start) * rng.uniform(0.2, 0.9)
        first = start
        if paired and rng.random() < 0.15:
            earlier = start - timedelta(days=rng.uniform(60, 400))
            pairing_rows.append(pairing(eid, cadre_for(street), earlier, start))
            first = earlier
        pairing_rows.append(pairing(eid, cadre, start, end))
        history[eid] = (cadre, first, end or now)  # visited while paired
    _copy(engine, "pairing", PAIRING_COLUMNS, ["".join(pairing_rows)])
    log(f"seed_programme: {n_cadres} cadres, {pid} pairings ({len(paired_now)} enterprises paired now)")

    visited = list(history)
    weights = [rng.paretovariate(2.0) for _ in visited]
    targets = rng.choices(visited, weights=weights, k=visits)
    pick_mode = _picker(rng, MODES)

    def visit_lines() -> Any:
        chunk = []
        for vid, eid in enumerate(targets, start=1):
            cadre, first, last = history[eid]
            uid, unit = cadres[cadre]
            days = max(0, (last.date() - first.date()).days)
            day = last.date() - timedelta(days=int(days * rng.random()))
            chunk.append("\t".join(_val(v) for v in (
                vid, eid, street_of[eid], day, pick_mode(), uid, unit, "[]", "走访了解企业生产经营情况", "[]", "page",
                datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9))) + "\n")
            if len(chunk) >= 20_000:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)

    _copy(engine, "visit", VISIT_COLUMNS, visit_lines())
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE enterprise e SET liaison_user_id = p.user_id FROM pairing p "
                             "WHERE p.enterprise_id = e.id AND p.ended_at IS NULL"))
        conn.execute(sa.text("UPDATE enterprise SET key_level = CASE WHEN id % 20 = 0 THEN 'city' "
                             "WHEN id % 10 = 1 THEN 'district' WHEN id % 8 = 2 THEN 'street' END"))
        for table in ("app_user", "pairing", "visit"):
            conn.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT coalesce(max(id), 1) FROM {table}))"))
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_seed_programme (info text NOT NULL)"))
        conn.execute(sa.text("DELETE FROM bench_seed_programme"))
        counts = {"cadres": n_cadres, "pairings": pid, "paired_now": len(paired_now), "visits": visits,
                  "enterprises": len(enterprises)}
        conn.execute(sa.text("INSERT INTO bench_seed_programme (info) VALUES (:i)"),
                     {"i": json.dumps({**wanted, **counts})})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("app_user", "pairing", "visit", "enterprise"):
            conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    engine.dispose()
    log(f"seed_programme: {visits} visits; done in {time.monotonic() - started:.0f} s")
    return {**wanted, **counts, "reused": False}
