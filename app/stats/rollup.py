"""The daily rollup (app/stats/models.py): catching up with changed appeals, and reading whole days from it.

`refresh()` consumes the dirty (day, street) buckets the triggers on `appeal` recorded and recomputes exactly those
buckets from `appeal` with the same SQL measures as the live path (app/stats/queries.py), so the two can never
disagree on a definition. It is called before every read of the rollup (cost: the buckets changed since the last
call) and may also be called by the worker. Refreshers are serialised (an advisory lock on PostgreSQL; SQLite
serialises writers anyway), and a change committed while a refresh runs leaves its own dirty row for the next one.

Working days to resolve are stored per bucket as computed at refresh time with the calendar then in force; after a
change to the calendar overrides, `rebuild()` recomputes everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.appeals.models import Appeal
from app.core.time import SHANGHAI
from app.db import is_postgres
from app.sla import service as sla_service
from app.stats import queries
from app.stats.figures import STORED_MEASURES, Counts
from app.stats.models import DIMENSION_COLUMNS, appeal_stats_day, appeal_stats_dirty
from app.stats.periods import Period, day_number, day_of, local_midnight, workday_index

LOCK_KEY = 0x5A51_5354  # pg_advisory_xact_lock id of the refresher ("ZQST")
FULL_REBUILD_BUCKETS = 5000  # more dirty buckets than this (a bulk load): rebuild everything in one pass
CHUNK = 300  # buckets recomputed per statement
Bucket = tuple[int, int]  # (local day number, street unit id)


def refresh(session: Session, *, now: datetime) -> int:
    """Brings the rollup up to date with every committed change to `appeal`. One transaction, committed here.
    Returns how many buckets were recomputed."""
    if is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    consumed = session.execute(
        sa.delete(appeal_stats_dirty).returning(appeal_stats_dirty.c.day, appeal_stats_dirty.c.street_unit_id)
    ).all()
    buckets = sorted({(int(d), int(s)) for d, s in consumed})
    if len(buckets) > FULL_REBUILD_BUCKETS:
        _rebuild(session, now=now)
    else:
        for start in range(0, len(buckets), CHUNK):
            _recompute(session, buckets[start:start + CHUNK], now=now)
    session.commit()
    return len(buckets)


def rebuild(session: Session, *, now: datetime) -> None:
    """Recomputes the whole rollup (after a calendar change, or to repair it). One transaction."""
    if is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    session.execute(sa.delete(appeal_stats_dirty))
    _rebuild(session, now=now)
    session.commit()


def _rebuild(session: Session, *, now: datetime) -> None:
    session.execute(sa.delete(appeal_stats_day))
    first = session.execute(sa.select(sa.func.min(Appeal.created_at))).scalar()
    if first is None:
        return
    if is_postgres(session):
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    rows = _bucket_rows(session, [], first_day=first.astimezone(SHANGHAI).date(), now=now)
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(appeal_stats_day), rows[start:start + 5000])


def _recompute(session: Session, buckets: Sequence[Bucket], *, now: datetime) -> None:
    key = sa.tuple_(appeal_stats_day.c.day, appeal_stats_day.c.street_unit_id)
    session.execute(sa.delete(appeal_stats_day).where(key.in_(list(buckets))))
    in_buckets = sa.or_(*[
        sa.and_(Appeal.street_unit_id == street, Appeal.created_at >= local_midnight(day_of(day)),
                Appeal.created_at < local_midnight(day_of(day + 1)))
        for day, street in buckets
    ])
    rows = _bucket_rows(session, [in_buckets], first_day=day_of(min(day for day, _ in buckets)), now=now)
    if rows:
        session.execute(sa.insert(appeal_stats_day), rows)


def _bucket_rows(session: Session, where: list[Any], *, first_day: date, now: datetime) -> list[dict[str, Any]]:
    index = workday_index(sla_service.load_calendar(session), first_day,
                          max(first_day, now.astimezone(SHANGHAI).date()))
    postgres = is_postgres(session)
    working_days = (queries.workdays_between(Appeal.created_at, Appeal.resolved_at, base_day=day_number(first_day),
                                             index=index) if postgres else None)
    day = queries.local_day(Appeal.created_at)
    statement = (
        sa.select(day.label("day"), Appeal.street_unit_id, *queries.measure_columns(now=None, working_days=working_days),
                  *queries.dimension_columns())
        .where(*where).group_by(day, Appeal.street_unit_id)
    )
    rows = [dict(row) for row in session.execute(statement).mappings()]
    if not postgres:
        sums = _working_days_by_bucket(session, where, index, first_day)
        for row in rows:
            row["working_days"] = sums.get((row["day"], row["street_unit_id"]), 0)
    return rows


def _working_days_by_bucket(session: Session, where: list[Any], index: list[int], first: date) -> dict[Bucket, int]:
    """SQLite has no arrays: fold (filing day, street, resolution day) groups through the working-day table."""
    created, resolved = queries.local_day(Appeal.created_at), queries.local_day(Appeal.resolved_at)
    statement = (
        sa.select(created, Appeal.street_unit_id, resolved, sa.func.count())
        .where(*where, Appeal.resolved_at.is_not(None))  # type: ignore[union-attr]
        .group_by(created, Appeal.street_unit_id, resolved)
    )
    base, top = day_number(first), len(index) - 1
    sums: dict[Bucket, int] = defaultdict(int)
    for c, street, r, n in session.execute(statement).all():
        sums[(c, street)] += n * (index[min(max(r - base, 0), top)] - index[min(max(c - base, 0), top)])
    return sums


def _sums() -> list[Any]:
    return [sa.func.sum(appeal_stats_day.c[name]).label(name) for name in (*STORED_MEASURES, *DIMENSION_COLUMNS)]


def _day_range(period: Period, unit_ids: Sequence[int] | None) -> list[Any]:
    clause = [appeal_stats_day.c.day >= day_number(period.first_day),
              appeal_stats_day.c.day <= day_number(period.last_day)]
    if unit_ids is not None:
        clause.append(appeal_stats_day.c.street_unit_id.in_(list(unit_ids)))
    return clause


def _counts(row: Any, unanswered: int) -> tuple[Counts, dict[str, int]]:
    counts = Counts.from_mapping({**row, "unanswered_overdue": unanswered})
    return counts, {name: int(row[name] or 0) for name in DIMENSION_COLUMNS}


def read_by_street(session: Session, period: Period, unit_ids: Sequence[int] | None, *,
                   now: datetime) -> dict[int, tuple[Counts, dict[str, int]]]:
    """Whole-day period → per street: its counts and its distribution columns. The one live part, appeals whose
    first response is overdue right now, comes from a partial index of the unanswered ones."""
    statement = (sa.select(appeal_stats_day.c.street_unit_id, *_sums()).where(*_day_range(period, unit_ids))
                 .group_by(appeal_stats_day.c.street_unit_id))
    unanswered = _unanswered(session, period, unit_ids, now=now, key=Appeal.street_unit_id)
    return {int(row["street_unit_id"]): _counts(row, unanswered.get(row["street_unit_id"], 0))
            for row in session.execute(statement).mappings()}


def read_collected_resolved(session: Session, period: Period, unit_ids: Sequence[int] | None) -> tuple[int, int]:
    """Whole-day period → (collected, resolved) over the streets in `unit_ids`: the summary's own columns, without
    its live part (the programme reports no first-response figure, and that part reads the unanswered appeals'
    rows: 200 ms of the programme's 500 at 1M appeals, bench/RESULTS.md)."""
    sums = [sa.func.coalesce(sa.func.sum(appeal_stats_day.c[name]), 0) for name in ("collected", "resolved")]
    collected, resolved = session.execute(sa.select(*sums).where(*_day_range(period, unit_ids))).one()
    return int(collected), int(resolved)


def read_by_day(session: Session, period: Period, unit_ids: Sequence[int] | None, *,
                now: datetime) -> dict[int, Counts]:
    statement = (sa.select(appeal_stats_day.c.day, *_sums()).where(*_day_range(period, unit_ids))
                 .group_by(appeal_stats_day.c.day))
    unanswered = _unanswered(session, period, unit_ids, now=now, key=queries.local_day(Appeal.created_at))
    return {int(row["day"]): _counts(row, unanswered.get(row["day"], 0))[0]
            for row in session.execute(statement).mappings()}


def _unanswered(session: Session, period: Period, unit_ids: Sequence[int] | None, *, now: datetime,
                key: Any) -> dict[int, int]:
    statement = (
        sa.select(key, sa.func.count())
        .where(*queries.period_clause(period), *queries.scope_clause(False, unit_ids), queries.unanswered_overdue(now))
        .group_by(key)
    )
    return {int(k): int(n) for k, n in session.execute(statement).all()}
