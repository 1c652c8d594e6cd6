"""Sweep: the SLA sweeper's cost grows with what is due, not with what is open (DESIGN §5, §10).

On a dedicated database: 1,000 appeals whose respond deadline has just passed (each owes an escalation street →
district, after its skipped 50%/80% reminders) among 10,000 open appeals, then the same 1,000 among 1,000,000 open
(100,000 with --quick). Each case is swept to completion by `app.appeals.sweeper.sweep` (batches of 200, as the
worker does) three times, the due set being restored between runs; the figure is the ratio of the medians
(target ≤ 1.5). Every run must escalate each due appeal exactly once. The selection query is EXPLAINed at the large
size: it must use the partial index ix_appeal_next_due_at.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bench.common import Context, Result
from bench.seed import APPEAL_COLUMNS, _copy, _demo_city, _enterprises, _secondary_indexes, _val

TITLE = "sweep: 1k due among 10k open vs among 1M open"
DUE = 1_000
SMALL = 10_000
RUNS = 3


def _rows(start_id: int, count: int, *, due: bool, now: datetime, streets: list[int],
          enterprises: list[tuple[int, int]], rng: random.Random) -> Any:
    """Open appeals at their street: `due` ones were filed 25 h ago and never signed for (respond deadline passed
    an hour ago); the others are in progress with their next step hours or days away."""
    chunk: list[str] = []
    for i in range(count):
        aid = start_id + i
        eid, street = enterprises[rng.randrange(len(enterprises))]
        if due:
            created = now - timedelta(hours=25, minutes=rng.uniform(0, 30))
            status, next_due, responded = "submitted", created + timedelta(hours=24), None
        else:
            created = now - timedelta(hours=rng.uniform(1, 24 * 20))
            status, next_due, responded = "in_progress", now + timedelta(minutes=rng.uniform(10, 60 * 24 * 10)), created
        respond_by = created + timedelta(hours=24)
        resolve_by = created + timedelta(days=14)
        values = (
            aid, f"ZQ{created.year}-{aid:07d}", eid, street, street, "street", "用电增容审批迟迟未办",
            "压测诉求", "energy", "individual", "visit", False, False, False, None, None, None, "[]", "yellow",
            '["影响职工20人以上"]', False, status, "on_track", None, 1, created, respond_by, None, None, resolve_by,
            resolve_by, created, respond_by, resolve_by, responded, None, None, None, next_due, 0, 0, 0, 0, 0, 0,
            False, None, None, None, None, None, 1, created, created,
        )
        chunk.append("\t".join(_val(v) for v in values) + "\n")
        if len(chunk) >= 20_000:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class Dataset:
    def __init__(self, ctx: Context) -> None:
        from app.core import migrate
        from app.db import make_engine

        self.ctx = ctx
        self.url = ctx.fresh_pg("bench_zhuqi_sweep")
        self.engine = make_engine(self.url)
        migrate.upgrade(self.engine)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.rng = random.Random(5)
        units, liaisons = _demo_city(self.engine, self.now)
        self.streets = [u.id for u in units.values() if u.tier == "street" and u.kind == "area"]
        self.enterprises = _enterprises(self.engine, self.rng, units, liaisons, 2_000, self.now)
        self.next_id = 1
        self.due_ids: list[int] = []

    def add(self, count: int, *, due: bool) -> list[int]:
        with self.engine.begin() as conn:
            dropped = _secondary_indexes(conn, "appeal") if count > 50_000 else []
            for name, _ in dropped:
                conn.execute(sa.text(f'DROP INDEX "{name}"'))
        _copy(self.engine, "appeal", APPEAL_COLUMNS, _rows(self.next_id, count, due=due, now=self.now,
                                                           streets=self.streets, enterprises=self.enterprises,
                                                           rng=self.rng))
        with self.engine.begin() as conn:
            conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
            for _, definition in dropped:
                conn.execute(sa.text(definition))
            conn.execute(sa.text("SELECT setval('appeal_id_seq', (SELECT max(id) FROM appeal))"))
        ids = list(range(self.next_id, self.next_id + count))
        self.next_id += count
        if due:
            self.due_ids = ids
        return ids

    def restore_due(self) -> None:
        """Puts the due set back as it was before a sweep (their events and steps removed)."""
        with self.engine.begin() as conn:
            params = {"lo": self.due_ids[0], "hi": self.due_ids[-1]}
            conn.execute(sa.text("DELETE FROM appeal_event WHERE appeal_id BETWEEN :lo AND :hi"), params)
            conn.execute(sa.text("DELETE FROM appeal_step WHERE appeal_id BETWEEN :lo AND :hi"), params)
            conn.execute(sa.text(
                "UPDATE appeal SET unit_id = street_unit_id, tier = 'street', status = 'submitted', "
                "routed_at = created_at, respond_by = created_at + interval '24 hours', "
                "unit_resolve_by = resolve_by, next_due_at = created_at + interval '24 hours', escalations = 0, "
                "version = 1, sla_state = 'on_track' WHERE id BETWEEN :lo AND :hi"), params)

    def analyze(self) -> None:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE appeal"))
            conn.execute(sa.text("VACUUM ANALYZE appeal_step"))
            conn.execute(sa.text("VACUUM ANALYZE appeal_event"))

    def open_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM appeal WHERE next_due_at IS NOT NULL")).scalar_one())

    def sweep_all(self) -> tuple[float, int, float]:
        """Sweeps until nothing is due; returns (seconds, steps, seconds spent in the selection queries)."""
        from app.appeals.sweeper import sweep
        from app.db import session_for

        select_time = 0.0
        started: dict[int, float] = {}

        def before(conn: Any, _c: Any, statement: str, *_: Any) -> None:
            if "SKIP LOCKED" in statement:
                started[id(conn)] = time.perf_counter()

        def after(conn: Any, _c: Any, statement: str, *_: Any) -> None:
            nonlocal select_time
            if "SKIP LOCKED" in statement:
                select_time += time.perf_counter() - started.pop(id(conn))

        event.listen(self.engine, "before_cursor_execute", before)
        event.listen(self.engine, "after_cursor_execute", after)
        steps = 0
        t = time.perf_counter()
        try:
            while True:
                with session_for(self.engine) as session:
                    done = sweep(session, now=self.now)
                steps += done
                if done == 0:
                    break
        finally:
            event.remove(self.engine, "before_cursor_execute", before)
            event.remove(self.engine, "after_cursor_execute", after)
        return time.perf_counter() - t, steps, select_time

    def check_once(self) -> int:
        """Each due appeal escalated exactly once: returns how many are wrong."""
        with self.engine.connect() as conn:
            wrong = conn.execute(sa.text(
                "SELECT count(*) FROM appeal a WHERE a.id BETWEEN :lo AND :hi AND (a.tier <> 'district' OR "
                "(SELECT count(*) FROM appeal_event e WHERE e.appeal_id = a.id AND e.type = 'escalated') <> 1)"),
                {"lo": self.due_ids[0], "hi": self.due_ids[-1]}).scalar_one()
        return int(wrong)

    def explain_selection(self) -> str:
        from sqlalchemy.dialects import postgresql
        from sqlmodel import col, select

        from app.appeals.models import Appeal
        from app.appeals.sweeper import BATCH

        query = (select(Appeal).where(col(Appeal.next_due_at) <= self.now).order_by(col(Appeal.next_due_at))
                 .limit(BATCH).with_for_update(skip_locked=True))
        compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        with self.engine.connect() as conn:  # rolled back: EXPLAIN ANALYZE really takes the row locks
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled)).scalars().all()
            conn.rollback()
        return str(compiled) + "\n\n" + "\n".join(plan)

    def measure(self, label: str) -> tuple[float, list[str]]:
        lines, times = [], []
        for run in range(RUNS):
            if run:
                self.restore_due()
            self.analyze()
            seconds, steps, selecting = self.sweep_all()
            wrong = self.check_once()
            if wrong:
                raise RuntimeError(f"sweep {label}: {wrong} due appeals not escalated exactly once")
            times.append(seconds)
            line = (f"{label} run {run + 1}: {seconds:.2f} s, {steps} steps, selection queries {selecting * 1000:.0f} ms"
                    f", escalated once each: yes")
            lines.append(line)
            self.ctx.log("sweep " + line)
        return statistics.median(times), lines


def run(ctx: Context) -> list[Result]:
    big = ctx.appeals
    data = Dataset(ctx)
    data.add(SMALL - DUE, due=False)
    data.add(DUE, due=True)
    small_open = data.open_count()
    t_small, lines = data.measure(f"{DUE} due / {small_open:,} open")
    ctx.log(f"sweep: growing to {big:,} open appeals")
    data.add(big - SMALL, due=False)
    data.restore_due()
    data.analyze()
    plan = data.explain_selection()  # with the 1k due in place
    big_open = data.open_count()
    t_big, more = data.measure(f"{DUE} due / {big_open:,} open")
    data.engine.dispose()
    ratio = t_big / t_small
    uses_index = "ix_appeal_next_due_at" in plan
    ctx.detail(f"sweep: {DUE} due among {small_open:,} vs {big_open:,} open (median of {RUNS})", "\n".join(lines + more))
    ctx.detail(f"EXPLAIN sweep selection at {big_open:,} open", plan)
    return [
        Result("sweep.ratio_1M_vs_10k" if big == 1_000_000 else f"sweep.ratio_{big}_vs_10k", ratio, "×", "≤ 1.5",
               ratio <= 1.5, baseline=f"{t_big:.2f} s at {big_open:,} open / {t_small:.2f} s at {small_open:,} open; "
                                      f"{DUE} escalations each, exactly once"),
        Result("sweep.uses_partial_index", 1.0 if uses_index else 0.0, "", "index scan", uses_index,
               baseline=next((ln.strip() for ln in plan.splitlines() if "ix_appeal_next_due_at" in ln), "not used")),
        Result("sweep.seconds_per_1k_due", t_big, "s", "info", None,
               baseline=f"{t_big * 1000 / DUE:.1f} ms per escalation (reminders recorded, event, CAS) at {big_open:,} open"),
    ]
