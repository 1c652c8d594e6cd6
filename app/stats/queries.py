"""SQL for the statistics: one aggregate pass over `appeal`, folded by dimension inside the database.

No Python loop ever runs over appeal rows for a figure: the database returns a handful of grouped rows
(one per child unit, urgency, category, tier and status; or one per local day for the time series).
Two dialect details are compiled here: the Asia/Shanghai day number of a timestamp, and (PostgreSQL only)
working days between two timestamps through an inline cumulative working-day table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.appeals.models import Appeal
from app.enums import SATISFIED_RATINGS, Rating, Tier
from app.stats.figures import MEASURES, NOT_DUE_UNANSWERED, TWO_MONTHS_DAYS
from app.stats.models import DIMENSION_COLUMNS
from app.stats.periods import Period

DIMENSIONS = ("unit", "urgency", "category", "tier", "status")


class local_day(FunctionElement[int]):
    """Days since 1970-01-01 of the Asia/Shanghai (fixed UTC+8) date of a timestamp."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_day"


@compiles(local_day)
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'; julianday of 1970-01-01 00:00 is 2440587.5.
    (column,) = element.clauses
    return f"CAST(julianday({compiler.process(column, **kw)}, '+8 hours') - 2440587.5 AS INTEGER)"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part on a timestamptz is seconds since the epoch (float8); AT TIME ZONE would cost 3x per row.
    (column,) = element.clauses
    return f"CAST(floor((date_part('epoch', {compiler.process(column, **kw)}) + 28800) / 86400) AS INTEGER)"


class workdays_between(FunctionElement[int]):
    """Working days in (local date of start, local date of end], PostgreSQL only.

    The cumulative table W (app.stats.periods.workday_index) is inlined as an integer[] literal so the planner
    folds it once; a bound array parameter would be re-coerced on every row.
    """

    type = sa.Integer()
    inherit_cache = False
    name = "workdays_between"

    def __init__(self, start: Any, end: Any, *, base_day: int, index: Sequence[int]) -> None:
        self.base_day = int(base_day)
        self.index = [int(v) for v in index]
        super().__init__(local_day(start), local_day(end))


@compiles(workdays_between, "postgresql")
def _workdays_between_postgresql(element: workdays_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    table = "('{" + ",".join(str(v) for v in element.index) + "}'::integer[])"
    base, top = element.base_day, element.base_day + len(element.index) - 1

    def at(day: str) -> str:
        return f"{table}[LEAST(GREATEST({day}, {base}), {top}) - {base} + 1]"

    return f"({at(end)} - {at(start)})"


def period_clause(period: Period) -> list[Any]:
    return [Appeal.created_at >= period.start, Appeal.created_at < period.end]


def scope_column(by_owner: bool) -> Any:
    """Appeals count where they were collected (属地 street); a department's figures follow its own cases."""
    return Appeal.unit_id if by_owner else Appeal.street_unit_id


def scope_clause(by_owner: bool, unit_ids: Sequence[int] | None) -> list[Any]:
    return [] if unit_ids is None else [scope_column(by_owner).in_(list(unit_ids))]


def unanswered_overdue(now: datetime) -> Any:
    """Never signed for, original respond deadline passed, and still owed (not rejected, withdrawn or merged)."""
    return sa.and_(
        Appeal.responded_at.is_(None),  # type: ignore[union-attr]
        Appeal.original_respond_by < now,  # type: ignore[operator]
        Appeal.status.not_in(NOT_DUE_UNANSWERED),  # type: ignore[attr-defined]
    )


def measure_columns(*, now: datetime | None, working_days: Any = None) -> list[Any]:
    """The counts of app.stats.figures.Counts, as FILTERed aggregates, labelled with their names. Without `now`,
    only the stored ones (those that do not depend on the moment of the request)."""
    a = Appeal
    resolved = a.resolved_at.is_not(None)  # type: ignore[union-attr]
    count = sa.func.count
    columns = {
        "collected": count(),
        "resolved": count().filter(resolved),
        "on_time": count().filter(resolved, sa.or_(a.original_resolve_by.is_(None),  # type: ignore[union-attr]
                                                    a.resolved_at <= a.original_resolve_by)),  # type: ignore[operator]
        "responded": count().filter(a.responded_at.is_not(None)),  # type: ignore[union-attr]
        "unanswered_overdue": count().filter(unanswered_overdue(now)) if now is not None else None,
        "responded_on_time": count().filter(
            a.responded_at.is_not(None),  # type: ignore[union-attr]
            sa.or_(a.original_respond_by.is_(None), a.responded_at <= a.original_respond_by),  # type: ignore[union-attr,operator]
        ),
        "rated": count().filter(a.rating.in_([r.value for r in Rating])),  # type: ignore[union-attr]
        "satisfied": count().filter(a.rating.in_([r.value for r in SATISFIED_RATINGS])),  # type: ignore[union-attr]
        "redone": count().filter(a.reopens > 0),
        "ever_resolved": count().filter(sa.or_(resolved, a.reopens > 0)),
        "returned": count().filter(a.returns > 0),
        "first_tier": count().filter(resolved, a.tier == Tier.street, a.escalations == 0),
        "within_two_months": count().filter(
            resolved, local_day(a.resolved_at) - local_day(a.created_at) <= TWO_MONTHS_DAYS
        ),
        "working_days": (sa.func.coalesce(sa.func.sum(working_days).filter(resolved), 0)
                         if working_days is not None else sa.literal(0)),
    }
    assert tuple(columns) == MEASURES
    return [expr.label(name) for name, expr in columns.items() if expr is not None]


def dimension_columns() -> list[Any]:
    """Counts per urgency, category, tier and status code, as the rollup stores them."""
    return [sa.func.count().filter(getattr(Appeal, dim) == code).label(name)
            for name, (dim, code) in DIMENSION_COLUMNS.items()]


def summary_statement(where: list[Any], *, by_owner: bool, measures: list[Any]) -> sa.CompoundSelect:
    """One pass over the period's appeals grouped by (unit, urgency, category, tier, status), then folded per
    dimension from that small materialised result: rows (dim, key, *measures)."""
    unit = scope_column(by_owner)
    keys = (unit.label("unit"), Appeal.urgency, Appeal.category, Appeal.tier, Appeal.status)
    inner = sa.select(*keys, *measures).where(*where).group_by(unit, Appeal.urgency, Appeal.category,
                                                               Appeal.tier, Appeal.status)
    grouped = inner.cte("g").prefix_with("MATERIALIZED")
    parts = [
        sa.select(
            sa.literal_column(f"'{dim}'").label("dim"),
            sa.cast(grouped.c[dim], sa.String).label("key"),
            *[sa.func.sum(grouped.c[m]).label(m) for m in MEASURES],
        ).group_by(grouped.c[dim])
        for dim in DIMENSIONS
    ]
    return sa.union_all(*parts)


def working_day_pairs_statement(where: list[Any], *, by_owner: bool) -> sa.Select[Any]:
    """(unit, filing day, resolution day, appeals) for resolved appeals: the working-day sums on databases without
    arrays (SQLite) are folded from these few groups in Python."""
    unit = scope_column(by_owner)
    created, resolved = local_day(Appeal.created_at), local_day(Appeal.resolved_at)
    return (
        sa.select(unit, created, resolved, sa.func.count())
        .where(*where, Appeal.resolved_at.is_not(None))  # type: ignore[union-attr]
        .group_by(unit, created, resolved)
    )


def daily_statement(where: list[Any], *, measures: list[Any]) -> sa.Select[Any]:
    day = local_day(Appeal.created_at)
    return sa.select(day.label("day"), *measures).where(*where).group_by(day)
