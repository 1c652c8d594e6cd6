"""The programme's figures use case (GET /api/v1/stats/programme, the dashboard's sentence and coverage table).

Scope, period, reach and 404s are those of the other statistics (`app.stats.service.scope_for`, `resolve_period`);
the appeal counts are the summary's own (`collected_resolved`); the rest is app/stats/programme_queries.py. Read-only.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.auth.principal import Principal
from app.core.time import SHANGHAI
from app.stats import programme_queries as queries
from app.stats.figures import ratio
from app.stats.periods import Period, resolve_period
from app.stats.programme import ProgrammeFigures, programme_payload, visit_cutoffs
from app.stats.schemas import ProgrammeCoverage, StatsProgramme
from app.stats.service import Scope, collected_resolved, end_read, scope_for


def programme(session: Session, principal: Principal, *, unit_code: str | None, start: str | None,
              end: str | None, now: datetime) -> StatsProgramme:
    scope = scope_for(session, principal, unit_code)
    period = resolve_period(start, end, now=now)
    return programme_for(session, scope, period, now=now)


def programme_for(session: Session, scope: Scope, period: Period, *, now: datetime) -> StatsProgramme:
    reach = queries.Reach(scope.unit_ids, by_department=scope.by_owner)
    if scope.by_owner:
        queries.no_jit(session)
        collected, resolved = queries.department_appeals(session, reach, period)
    else:
        collected, resolved = collected_resolved(session, scope, period, now=now)  # ends its read transaction
    queries.no_jit(session)  # (again: collected_resolved ended its transaction)
    cutoffs = visit_cutoffs(queries.load_visit_policy(session), now.astimezone(SHANGHAI).date())
    by_street = queries.enterprise_counts(session, reach, period, now=now, cutoffs=cutoffs)
    visits = queries.visit_count(session, reach, period)
    liaisons = queries.liaison_count(session, scope.unit_ids, period)
    end_read(session)
    total = queries.StreetCounts()
    for counts in by_street.values():
        total += counts
    figures = ProgrammeFigures(
        liaisons=liaisons, enterprises_paired=total.paired, enterprises_served=total.served, visits=visits,
        enterprises_visited=total.visited, appeals_collected=collected, appeals_resolved=resolved,
        visit_overdue=total.overdue, enterprises_total=total.total,
    )
    return StatsProgramme(
        unit_code=scope.unit.code, unit_name=scope.unit.name, from_=period.start, to=period.end, as_of=now,
        **programme_payload(figures), by_unit=[] if scope.by_owner else _coverage(scope, by_street),
    )


def _coverage(scope: Scope, by_street: dict[int, queries.StreetCounts]) -> list[ProgrammeCoverage]:
    """Per child area unit (districts of a city, streets of a district), in code order."""
    per_child = {child.id: queries.StreetCounts() for child in scope.children}
    for street, counts in by_street.items():
        if (child := scope.child_of.get(street)) is not None:
            per_child[child.id] += counts
    rows = []
    for child in scope.children:
        c = per_child[child.id]
        rows.append(ProgrammeCoverage(
            unit_code=child.code, unit_name=child.name, enterprises_total=c.total, enterprises_paired=c.paired,
            pairing_coverage_rate=ratio(c.paired, c.total), enterprises_visited=c.visited,
            visited_in_cadence=c.paired_now - c.overdue, visit_overdue=c.overdue,
        ))
    return rows
