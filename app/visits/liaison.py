"""A liaison's own enterprises (paired, or in a building they manage) with their visit cadence: what the chatbot's
`我的企业` shows. Reads only; the cadence rule itself is app.visits.cadence (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from app.appeals.models import Appeal
from app.auth.principal import Principal
from app.core.time import SHANGHAI
from app.enterprises.models import Enterprise
from app.enums import OPEN_STATUSES
from app.pairing.models import Building, Pairing
from app.visits import cadence
from app.visits.models import Visit, VisitPolicySetting


@dataclass(frozen=True)
class MyEnterprise:
    enterprise_id: int
    uscc: str
    name: str
    last_visited_on: date | None
    days_since: int | None
    next_due_on: date | None
    overdue: bool
    open_appeals: int


def current_policy(session: Session) -> cadence.VisitPolicy:
    """The latest visit cadence row, or the default when none was ever saved (or a stored one is invalid)."""
    row = session.exec(select(VisitPolicySetting).order_by(col(VisitPolicySetting.version).desc())).first()
    if row is None:
        return cadence.VisitPolicy()
    try:
        return cadence.VisitPolicy(default_days=row.default_days, by_key_level=row.by_key_level)
    except cadence.InvalidVisitPolicy:
        return cadence.VisitPolicy()


def my_enterprises(session: Session, principal: Principal, *, now: datetime) -> list[MyEnterprise]:
    """Overdue first, then the nearest due date; every enterprise the user is paired with or looks after."""
    if principal.user_id is None:
        return []
    managed = select(Building.id).where(Building.manager_user_id == principal.user_id)
    enterprises = session.exec(select(Enterprise).where(or_(
        Enterprise.liaison_user_id == principal.user_id, col(Enterprise.building_id).in_(managed)))).all()
    if not enterprises:
        return []
    ids = [e.id for e in enterprises]
    last = dict(session.exec(select(Visit.enterprise_id, sa.func.max(Visit.visited_on))  # type: ignore[call-overload]
                             .where(col(Visit.enterprise_id).in_(ids)).group_by(Visit.enterprise_id)).all())
    paired = dict(session.exec(select(Pairing.enterprise_id, Pairing.started_at)  # type: ignore[call-overload]
                               .where(col(Pairing.enterprise_id).in_(ids), col(Pairing.ended_at).is_(None))).all())
    open_counts = dict(session.exec(select(Appeal.enterprise_id, sa.func.count())  # type: ignore[call-overload]
                                    .where(col(Appeal.enterprise_id).in_(ids), col(Appeal.status).in_(OPEN_STATUSES))
                                    .group_by(Appeal.enterprise_id)).all())
    policy, today = current_policy(session), now.astimezone(SHANGHAI).date()
    found = []
    for e in enterprises:
        started = paired.get(e.id)
        # A liaison set before pairing rows existed has no open row: the clock starts at the enterprise's record.
        since = (started or (e.created_at if e.liaison_user_id is not None else None))
        status = cadence.visit_status(policy, e.key_level, last.get(e.id),
                                      since.astimezone(SHANGHAI).date() if since else None, today)
        found.append(MyEnterprise(enterprise_id=e.id, uscc=e.uscc, name=e.name,  # type: ignore[arg-type]
                                  last_visited_on=last.get(e.id), days_since=status.days_since,
                                  next_due_on=status.next_due_on, overdue=status.overdue,
                                  open_appeals=open_counts.get(e.id, 0)))
    return sorted(found, key=lambda m: (not m.overdue, m.next_due_on or date.max, m.name))
