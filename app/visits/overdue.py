"""Whether paired enterprises are visited on schedule, as SQL (a filter on the enterprise list) and as facts for a
page of enterprises (last visit, paired since, next due, overdue). The rule is app.visits.cadence; the cadence
itself is the visit policy (app.visits.policy_service). Read by the enterprise list and the liaison's 我的企业."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.core.time import SHANGHAI
from app.enterprises.models import Enterprise
from app.pairing.models import Pairing
from app.visits import cadence, policy_service
from app.visits.models import Visit


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _day_start(day: date) -> datetime:
    """The instant a Shanghai calendar day starts, for comparing stored UTC times with dates."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _overdue_clause(policy: cadence.VisitPolicy, today: date) -> Any:
    """SQL for cadence.visit_status(...).overdue: paired, and both the last visit and the pairing's start are more
    than the enterprise's days before today. The cutoffs are computed here, one per key level, so the query needs
    no date arithmetic in SQL (the same on SQLite and PostgreSQL)."""
    last_visit = (select(func.max(Visit.visited_on)).where(Visit.enterprise_id == Enterprise.id)
                  .correlate(Enterprise).scalar_subquery())
    started = (select(Pairing.started_at).where(Pairing.enterprise_id == Enterprise.id, col(Pairing.ended_at).is_(None))
               .correlate(Enterprise).scalar_subquery())

    def stale_since(days: int) -> Any:
        cutoff = today - timedelta(days=days)
        return sa.and_(sa.or_(last_visit.is_(None), last_visit < cutoff), started < _day_start(cutoff))

    listed = [level for level in policy.by_key_level]
    per_level = [sa.and_(Enterprise.key_level == level, stale_since(policy.by_key_level[level])) for level in listed]
    unlisted = sa.or_(col(Enterprise.key_level).is_(None), col(Enterprise.key_level).not_in(listed)) if listed \
        else sa.true()
    return sa.and_(col(Enterprise.liaison_user_id).is_not(None),
                   sa.or_(*per_level, sa.and_(unlisted, stale_since(policy.default_days))))




@dataclass(frozen=True)
class VisitFacts:
    last_visited_on: date | None
    paired_since: date | None
    status: cadence.VisitStatus


def visit_statuses(session: Session, enterprises: Sequence[Enterprise], today: date) -> dict[int, VisitFacts]:
    """Each enterprise's last visit, next due date and overdue flag, in two queries for the whole page."""
    ids = [e.id for e in enterprises]
    if not ids:
        return {}
    last = dict(session.exec(select(Visit.enterprise_id, func.max(Visit.visited_on))
                             .where(col(Visit.enterprise_id).in_(ids)).group_by(Visit.enterprise_id)).all())
    started = dict(session.exec(select(Pairing.enterprise_id, Pairing.started_at)
                                .where(col(Pairing.enterprise_id).in_(ids), col(Pairing.ended_at).is_(None))).all())
    policy = policy_service.current(session)[0]
    facts = {}
    for e in enterprises:
        since = local_date(started[e.id]) if e.id in started else None
        facts[e.id] = VisitFacts(last.get(e.id), since, cadence.visit_status(policy, e.key_level, last.get(e.id),
                                                                             since, today))
    return facts  # type: ignore[return-value]


def overdue_clause(session: Session, today: date) -> Any:
    """The SQL condition "paired and overdue for a visit" under the current visit policy."""
    return _overdue_clause(policy_service.current(session)[0], today)
