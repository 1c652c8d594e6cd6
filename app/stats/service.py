"""Statistics use cases: summary, time series, weekly bulletin, CSV export. Read-only; each ends its read
transaction as soon as it has its rows (SQLite takes its write lock per transaction, so a long read, such as a
streamed export, must not hold one)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.auth.principal import Principal
from app.core.time import SHANGHAI
from app.db import is_postgres
from app.enterprises.models import Enterprise
from app.enums import Category, Status, Tier, UnitKind, Urgency
from app.errors import NotFound
from app.sla import service as sla_service
from app.stats import export, queries, rollup
from app.stats.figures import Counts, rates
from app.stats.models import DIMENSION_COLUMNS
from app.stats.periods import (
    Bucket,
    Period,
    bucket_spans,
    day_number,
    resolve_period,
    workday_index,
)
from app.stats.schemas import StatsSummary, StatsTimeseries, TimeseriesPoint, UnitFigures
from app.units import service as units
from app.units.models import Unit

DIMENSION_CODES: dict[str, tuple[str, ...]] = {
    "urgency": tuple(Urgency),
    "category": tuple(Category),
    "tier": tuple(Tier),
    "status": tuple(Status),
}


def end_read(session: Session) -> None:
    """Ends the read transaction (SQLite holds its lock per transaction). A commit, not a rollback: nothing was
    written, and with expire_on_commit=False the rows already loaded stay usable without reloading."""
    session.commit()


@dataclass(frozen=True)
class Scope:
    """Whose figures: a unit's subtree. Appeals belong to the street where they were collected (属地); a
    department (which owns no street) gets the appeals it currently handles instead."""

    unit: Unit
    by_owner: bool
    unit_ids: list[int] | None  # None: the root, no filter at all
    children: list[Unit]
    child_of: dict[int, Unit]  # unit id in the subtree → the child of `unit` that holds it

    def where(self, period: Period) -> list[Any]:
        return queries.period_clause(period) + queries.scope_clause(self.by_owner, self.unit_ids)


@dataclass(frozen=True)
class Figures:
    total: Counts
    by_dimension: dict[str, dict[str, int]]
    by_unit: list[tuple[Unit, Counts]]


def scope_for(session: Session, principal: Principal, unit_code: str | None) -> Scope:
    """The caller's own unit by default; a unit outside the caller's reach is 404 like everything else."""
    if unit_code is None:
        unit = session.get(Unit, principal.unit_id) if principal.unit_id is not None else None
        if unit is None or not principal.reaches_path(unit.path):
            raise NotFound("调用方没有所属单位，请用 unit 参数指定")
    else:
        unit = units.get_in_reach(session, principal, unit_code)
    subtree = list(session.exec(select(Unit).where(col(Unit.path).startswith(unit.path))).all())
    by_owner = unit.kind == UnitKind.department
    children = sorted(
        (u for u in subtree if u.parent_id == unit.id and (by_owner or u.kind == UnitKind.area)), key=lambda u: u.code
    )
    child_of = {
        u.id: child for child in children for u in subtree if u.path.startswith(child.path)  # type: ignore[misc]
    }
    unit_ids = None if unit.parent_id is None else [u.id for u in subtree]  # type: ignore[misc]
    return Scope(unit, by_owner, unit_ids, children, child_of)


def _aggregate(session: Session, scope: Scope, period: Period, *, now: datetime, live: bool = False) -> Figures:
    """Whole local days of an area's subtree come from the daily rollup; other periods (instants as bounds) and
    departments are aggregated live from `appeal`. Both use the same SQL measures."""
    if live or scope.by_owner or not period.whole_days:
        by_key, dimensions = _aggregate_live(session, scope, period, now=now)
    else:
        rollup.refresh(session, now=now)
        by_key, dimensions = _aggregate_rollup(session, scope, period, now=now)
    end_read(session)
    total = sum(by_key.values(), Counts())
    per_child = {child.id: Counts() for child in scope.children}
    for key, counts in by_key.items():
        child = scope.child_of.get(key)
        if child is not None:
            per_child[child.id] += counts  # type: ignore[index]
    return Figures(total, dimensions, [(child, per_child[child.id]) for child in scope.children])  # type: ignore[index]


def collected_resolved(session: Session, scope: Scope, period: Period, *, now: datetime) -> tuple[int, int]:
    """The programme's 收集/解决: the summary's `collected` and `resolved` by the same path (the rollup for whole
    days of an area, live otherwise), so the two never disagree; only the rollup's two columns are read."""
    if scope.by_owner or not period.whole_days:
        counts = _aggregate(session, scope, period, now=now).total
        return counts.collected, counts.resolved
    rollup.refresh(session, now=now)
    totals = rollup.read_collected_resolved(session, period, scope.unit_ids)
    end_read(session)
    return totals


def _with_all_codes(found: dict[str, int], codes: tuple[str, ...]) -> dict[str, int]:
    return {code: found.get(code, 0) for code in codes} | {k: n for k, n in found.items() if k not in codes}


def _aggregate_rollup(session: Session, scope: Scope, period: Period, *,
                      now: datetime) -> tuple[dict[int, Counts], dict[str, dict[str, int]]]:
    by_street = rollup.read_by_street(session, period, scope.unit_ids, now=now)
    found: dict[str, dict[str, int]] = {dim: {} for dim in DIMENSION_CODES}
    for _, columns in by_street.values():
        for name, n in columns.items():
            dim, code = DIMENSION_COLUMNS[name]
            found[dim][code] = found[dim].get(code, 0) + n
    dimensions = {dim: _with_all_codes(found[dim], codes) for dim, codes in DIMENSION_CODES.items()}
    return {street: counts for street, (counts, _) in by_street.items()}, dimensions


def _aggregate_live(session: Session, scope: Scope, period: Period, *,
                    now: datetime) -> tuple[dict[int, Counts], dict[str, dict[str, int]]]:
    where = scope.where(period)
    first = period.first_day
    index = workday_index(sla_service.load_calendar(session), first,
                          max(period.last_day, now.astimezone(SHANGHAI).date()))
    postgres = is_postgres(session)
    working_days = None
    if postgres:
        session.execute(sa.text("SET LOCAL jit = off"))  # compiling this aggregate costs more than running it
        working_days = queries.workdays_between(Appeal.created_at, Appeal.resolved_at, base_day=day_number(first),
                                                index=index)
    measures = queries.measure_columns(now=now, working_days=working_days)
    by_dim: dict[str, dict[str, Counts]] = {dim: {} for dim in queries.DIMENSIONS}
    for row in session.execute(queries.summary_statement(where, by_owner=scope.by_owner, measures=measures)).mappings():
        by_dim[row["dim"]][row["key"]] = Counts.from_mapping(row)
    by_key = {int(key): counts for key, counts in by_dim["unit"].items()}
    if not postgres:
        sums = _working_days_from_pairs(session, where, index, first, by_owner=scope.by_owner)
        by_key = {key: replace(counts, working_days=sums.get(key, 0)) for key, counts in by_key.items()}
    dimensions = {dim: _with_all_codes({k: c.collected for k, c in by_dim[dim].items()}, codes)
                  for dim, codes in DIMENSION_CODES.items()}
    return by_key, dimensions


def _working_days_from_pairs(session: Session, where: list[Any], index: list[int], first: date, *,
                             by_owner: bool) -> dict[int, int]:
    base, top = day_number(first), len(index) - 1
    sums: dict[int, int] = {}
    for unit, c, r, n in session.execute(queries.working_day_pairs_statement(where, by_owner=by_owner)).all():
        sums[unit] = sums.get(unit, 0) + n * (index[min(max(r - base, 0), top)] - index[min(max(c - base, 0), top)])
    return sums


def rank_units(by_unit: list[tuple[Unit, Counts]]) -> list[UnitFigures]:
    """Ranking table: resolution rate high to low, units without appeals last; ties by volume, then code."""
    def order(item: tuple[Unit, Counts]) -> tuple[int, float, int, str]:
        unit, counts = item
        rate = rates(counts).resolution_rate
        return (rate is None, -(rate or 0.0), -counts.collected, unit.code)

    ranked = []
    for position, (unit, counts) in enumerate(sorted(by_unit, key=order), start=1):
        r = rates(counts)
        ranked.append(UnitFigures(
            rank=position, unit_code=unit.code, unit_name=unit.name, collected=counts.collected,
            resolved=counts.resolved, resolution_rate=r.resolution_rate, on_time_rate=r.on_time_rate,
            first_response_on_time_rate=r.first_response_on_time_rate, satisfaction_rate=r.satisfaction_rate,
            redo_rate=r.redo_rate, return_rate=r.return_rate,
        ))
    return ranked


def summary(
    session: Session, principal: Principal, *, unit_code: str | None, start: str | None,
    end: str | None, now: datetime,
) -> StatsSummary:
    scope = scope_for(session, principal, unit_code)
    period = resolve_period(start, end, now=now)
    figures = _aggregate(session, scope, period, now=now)
    return _summary_read(scope, period, figures, now=now)


def _summary_read(scope: Scope, period: Period, figures: Figures, *, now: datetime) -> StatsSummary:
    c, r = figures.total, rates(figures.total)
    return StatsSummary(
        unit_code=scope.unit.code, unit_name=scope.unit.name, from_=period.start, to=period.end, as_of=now,
        collected=c.collected, resolved=c.resolved, **vars(r),
        by_urgency=figures.by_dimension["urgency"], by_category=figures.by_dimension["category"],
        by_tier=figures.by_dimension["tier"], by_status=figures.by_dimension["status"],
        by_unit=rank_units(figures.by_unit),
    )


def timeseries(
    session: Session, principal: Principal, *, unit_code: str | None, bucket: Bucket,
    start: str | None, end: str | None, now: datetime,
) -> StatsTimeseries:
    scope = scope_for(session, principal, unit_code)
    period = resolve_period(start, end, now=now)
    per_day = _per_day(session, scope, period, now=now)
    end_read(session)
    spans = bucket_spans(period, bucket)
    span_of = {n: i for i, s in enumerate(spans) for n in range(day_number(s.first_day), day_number(s.last_day) + 1)}
    totals = [Counts() for _ in spans]
    for day, counts in per_day.items():
        if day in span_of:
            totals[span_of[day]] += counts
    items = []
    for span, counts in zip(spans, totals, strict=True):
        r = rates(counts)
        items.append(TimeseriesPoint(
            label=span.label, start=span.first_day, end=span.last_day, collected=counts.collected,
            resolved=counts.resolved, resolution_rate=r.resolution_rate, on_time_rate=r.on_time_rate,
            first_response_on_time_rate=r.first_response_on_time_rate, satisfaction_rate=r.satisfaction_rate,
            return_rate=r.return_rate,
        ))
    return StatsTimeseries(unit_code=scope.unit.code, unit_name=scope.unit.name, period=bucket, from_=period.start,
                           to=period.end, items=items)


def _per_day(session: Session, scope: Scope, period: Period, *, now: datetime, live: bool = False) -> dict[int, Counts]:
    if live or scope.by_owner or not period.whole_days:
        statement = queries.daily_statement(scope.where(period), measures=queries.measure_columns(now=now))
        return {int(row["day"]): Counts.from_mapping(row) for row in session.execute(statement).mappings()}
    rollup.refresh(session, now=now)
    return rollup.read_by_day(session, period, scope.unit_ids, now=now)


@dataclass(frozen=True)
class ExportPlan:
    scope: Scope
    period: Period
    now: datetime

    @property
    def filename(self) -> str:
        return f"zhuqi-appeals-{self.scope.unit.code}-{self.period.first_day:%Y%m%d}-{self.period.last_day:%Y%m%d}.csv"


def plan_export(
    session: Session, principal: Principal, *, unit_code: str | None, start: str | None,
    end: str | None, now: datetime,
) -> ExportPlan:
    """Checks reach and the period before the response starts streaming (errors stay problem+json)."""
    plan = ExportPlan(scope_for(session, principal, unit_code), resolve_period(start, end, now=now), now)
    end_read(session)
    return plan


def export_csv(session: Session, plan: ExportPlan, *, batch_size: int = 1000) -> Iterator[str]:
    """UTF-8 text chunks of the CSV (BOM first), one appeal per row, oldest first; keyset batches, each its own
    short read transaction, so a long export never holds a lock."""
    unit_names = {u.id: u.name for u in session.exec(select(Unit)).all()}
    first = plan.period.first_day
    index = workday_index(sla_service.load_calendar(session), first,
                          max(plan.period.last_day, plan.now.astimezone(SHANGHAI).date()))
    end_read(session)
    yield export.header()
    columns = [getattr(Appeal, name) for name in export.APPEAL_COLUMNS]
    after_id = 0
    while True:
        statement = (
            select(*columns, Enterprise.name, Enterprise.uscc)  # type: ignore[call-overload]
            .join(Enterprise, col(Enterprise.id) == Appeal.enterprise_id)
            .where(*plan.scope.where(plan.period), col(Appeal.id) > after_id)
            .order_by(col(Appeal.id))
            .limit(batch_size)
        )
        rows = session.exec(statement).all()
        end_read(session)
        if not rows:
            return
        yield export.lines(rows, unit_names=unit_names, workdays=index, first_day=first, now=plan.now)
        after_id = rows[-1][0]
