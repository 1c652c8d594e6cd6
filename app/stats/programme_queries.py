"""SQL for the programme's figures (DESIGN §11; definitions in docs/statistics.md, "Programme figures").

Statistics are a read model: these queries read `pairing`, `visit` and `enterprise` directly. Every figure is a
count in the database; Python only folds the few rows grouped by street. Pairing conditions are hashed subplans;
the visit and appeal tests are index probes per enterprise — visit(enterprise_id, visited_on),
appeal(enterprise_id, created_at, resolved_at) (migrations 0012, 0013) — so the cost grows with the enterprises in
scope, not with the appeals or visits (1M appeals, 500k visits, 20k enterprises: bench/bench_programme.py,
bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.appeals.models import Appeal
from app.db import UtcDateTime, is_postgres
from app.enterprises.models import Enterprise
from app.pairing.models import Pairing
from app.stats.periods import Period, local_midnight
from app.stats.programme import VisitCutoffs
from app.visits.cadence import VisitPolicy
from app.visits.models import Visit, VisitPolicySetting


@dataclass(frozen=True)
class Reach:
    """Whose enterprises. An area unit: the enterprises whose street is in `unit_ids` (None: the whole city). A
    department: the enterprises its cadres (pairings dispatched from `unit_ids`) served during the period."""

    unit_ids: Sequence[int] | None
    by_department: bool


@dataclass
class StreetCounts:
    total: int = 0
    paired: int = 0  # pairing in force at the end of the period
    served: int = 0
    paired_now: int = 0
    overdue: int = 0
    visited: int = 0  # visited in the period

    def __iadd__(self, other: StreetCounts) -> StreetCounts:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def no_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles these FILTERed subplans for 400 ms to run them in 100 (bench/RESULTS.md): off for
    this read transaction, as for the summary's live statement."""
    if is_postgres(session):
        session.execute(sa.text("SET LOCAL jit = off"))


def load_visit_policy(session: Session) -> VisitPolicy:
    """The cadence in force (the latest version of the visit-policy row); the defaults when none was saved."""
    row = session.execute(sa.select(VisitPolicySetting).order_by(col(VisitPolicySetting.version).desc(),
                                                                 col(VisitPolicySetting.id).desc()).limit(1)).scalar()
    if row is None:
        return VisitPolicy()
    return VisitPolicy(default_days=row.default_days, by_key_level=row.by_key_level)


def _in(column: Any, ids: Sequence[int] | None) -> list[Any]:
    return [] if ids is None else [column.in_(list(ids))]


def overlaps(period: Period) -> list[Any]:
    """A pairing in force at some moment of [start, end)."""
    return [Pairing.started_at < period.end,
            sa.or_(col(Pairing.ended_at).is_(None), col(Pairing.ended_at) > period.start)]


def in_force_at(moment: datetime) -> list[Any]:
    return [Pairing.started_at <= moment, sa.or_(col(Pairing.ended_at).is_(None), col(Pairing.ended_at) > moment)]


def visit_days(period: Period) -> list[Any]:
    """Visits carry a date: those dated on a local day of the period."""
    return [Visit.visited_on >= period.first_day, Visit.visited_on <= period.last_day]


def _pairing_exists(reach: Reach, *conditions: Any) -> Any:
    """The enterprise has a pairing (of the department's cadres, for a department) meeting `conditions`. An
    uncorrelated IN: PostgreSQL hashes the pairings once (a hashed subplan) instead of probing per enterprise."""
    own = _in(Pairing.unit_id, reach.unit_ids) if reach.by_department else []
    return col(Enterprise.id).in_(sa.select(Pairing.enterprise_id).where(*own, *conditions))


def _by_level(cutoffs: VisitCutoffs, convert: Any, type_: Any) -> Any:
    """The enterprise's cutoff, chosen per row by its key level (a CASE over literals)."""
    default = sa.literal(convert(cutoffs.default), type_)
    if not cutoffs.by_key_level:
        return default
    return sa.case(*[(Enterprise.key_level == level, sa.literal(convert(d), type_))
                     for level, d in cutoffs.by_key_level.items()], else_=default)


def department_enterprises(reach: Reach, period: Period) -> Any:
    """Ids of the enterprises paired with the department's cadres at some moment of the period."""
    return sa.select(Pairing.enterprise_id).where(*_in(Pairing.unit_id, reach.unit_ids), *overlaps(period))


def _enterprise_filter(reach: Reach, period: Period) -> list[Any]:
    if reach.by_department:
        return [col(Enterprise.id).in_(department_enterprises(reach, period))]
    return [*_in(Enterprise.street_unit_id, reach.unit_ids), Enterprise.created_at < period.end]


def enterprise_counts(session: Session, reach: Reach, period: Period, *, now: datetime,
                      cutoffs: VisitCutoffs) -> dict[int, StreetCounts]:
    """Per street of the enterprises in scope: total, paired at the end of the period, served in the period, paired
    now, overdue now, visited in the period.

    One pass over `enterprise`, hash-joined with its open pairing (at most one: a unique index); pairings in the
    period or at its end are hashed subplans; "visited in the period" and "visited since the cutoff" are one index
    probe each on visit (enterprise_id, visited_on), so the cost follows the enterprises in scope, not the visits."""
    end_moment = min(period.end - timedelta(microseconds=1), now)
    own = _in(Pairing.unit_id, reach.unit_ids) if reach.by_department else []
    current = (sa.select(Pairing.enterprise_id, Pairing.started_at)
               .where(col(Pairing.ended_at).is_(None), *own).subquery("open_pairing"))
    # Visited in the period by a visit counted in `visits` (recorded under a street in scope), so that
    # enterprises_visited ≤ visits holds even for an enterprise that moved.
    recorded_here = [] if reach.by_department else _in(Visit.street_unit_id, reach.unit_ids)
    # One index probe per enterprise: bounded by the enterprises, where a set of the period's visits grows with the
    # period (355k visits in a year at 1M appeals).
    visited = sa.exists().where(Visit.enterprise_id == Enterprise.id, *visit_days(period), *recorded_here)
    # overdue ⇔ paired now, and both the pairing's start and the last visit before the cutoff (is_overdue_by_cutoff)
    overdue = sa.and_(
        current.c.enterprise_id.is_not(None),
        current.c.started_at < _by_level(cutoffs, local_midnight, UtcDateTime()),
        ~sa.exists().where(Visit.enterprise_id == Enterprise.id,
                           Visit.visited_on >= _by_level(cutoffs, lambda d: d, sa.Date())),
    )
    served = sa.or_(  # in this order: most enterprises are paired, and OR stops at the first true
        _pairing_exists(reach, *overlaps(period)),
        visited,
        sa.exists().where(Appeal.enterprise_id == Enterprise.id, Appeal.created_at >= period.start,
                          Appeal.created_at < period.end),
    )
    count = sa.func.count
    statement = (
        sa.select(Enterprise.street_unit_id, count(),
                  count().filter(_pairing_exists(reach, *in_force_at(end_moment))),
                  count().filter(served),
                  count().filter(current.c.enterprise_id.is_not(None), current.c.started_at <= now),
                  count().filter(overdue),
                  count().filter(visited))
        .select_from(Enterprise)
        .outerjoin(current, current.c.enterprise_id == Enterprise.id)
        .where(*_enterprise_filter(reach, period))
        .group_by(Enterprise.street_unit_id)
    )
    return {street: StreetCounts(total=n, paired=p, served=s, paired_now=pn, overdue=o, visited=v)
            for street, n, p, s, pn, o, v in session.execute(statement).all()}


def _visit_filter(reach: Reach, period: Period) -> list[Any]:
    if reach.by_department:
        return [col(Visit.enterprise_id).in_(department_enterprises(reach, period)), *visit_days(period)]
    return [*_in(Visit.street_unit_id, reach.unit_ids), *visit_days(period)]


def visit_count(session: Session, reach: Reach, period: Period) -> int:
    """Visit records in the period, under the enterprise's street at the visit (an index-only count)."""
    return int(session.execute(sa.select(sa.func.count()).where(*_visit_filter(reach, period))).scalar_one())


def liaison_count(session: Session, unit_ids: Sequence[int] | None, period: Period) -> int:
    """Distinct cadres paired at some moment of the period, under the unit that dispatched them (pairing.unit_id,
    recorded when the pairing began), wherever their enterprises are."""
    statement = sa.select(sa.func.count(sa.distinct(Pairing.user_id))).where(
        *_in(Pairing.unit_id, unit_ids), *overlaps(period))
    return int(session.execute(statement).scalar_one())


def department_appeals(session: Session, reach: Reach, period: Period) -> tuple[int, int]:
    """(collected, resolved): appeals filed in the period by the department's enterprises, wherever handled."""
    statement = sa.select(sa.func.count(), sa.func.count().filter(col(Appeal.resolved_at).is_not(None))).where(
        Appeal.created_at >= period.start, Appeal.created_at < period.end,
        col(Appeal.enterprise_id).in_(department_enterprises(reach, period)))
    collected, resolved = session.execute(statement).one()
    return int(collected), int(resolved)
