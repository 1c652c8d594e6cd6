"""Visit rows → API shapes, loading enterprises, units, people and raised appeals in batches."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.auth.models import User
from app.enterprises.models import Enterprise
from app.units.models import Unit
from app.visits.models import Visit
from app.visits.schemas import VisitPerson, VisitRead


def appeals_of(session: Session, visit_ids: Sequence[int]) -> dict[int, list[Appeal]]:
    """The appeals each visit raised, oldest first."""
    found: dict[int, list[Appeal]] = {v: [] for v in visit_ids}
    if visit_ids:
        rows = session.exec(select(Appeal).where(col(Appeal.visit_id).in_(visit_ids)).order_by(col(Appeal.id)))
        for appeal in rows.all():
            found[appeal.visit_id].append(appeal)  # type: ignore[index]
    return found


class Lookups:
    """Everything a page of visits names, read in four queries whatever the page size."""

    def __init__(self, session: Session, visits: Sequence[Visit]) -> None:
        user_ids = {v.visitor_user_id for v in visits} | {u for v in visits for u in v.participant_user_ids}
        self.users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()} \
            if user_ids else {}
        unit_ids = {v.street_unit_id for v in visits} | {v.visitor_unit_id for v in visits} \
            | {u.unit_id for u in self.users.values()}
        self.units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))).all()} \
            if unit_ids else {}
        enterprise_ids = {v.enterprise_id for v in visits}
        self.enterprises = {e.id: e for e in session.exec(
            select(Enterprise).where(col(Enterprise.id).in_(enterprise_ids))).all()} if enterprise_ids else {}
        self.appeals = appeals_of(session, [v.id for v in visits if v.id is not None])

    def person(self, user_id: int, unit_id: int | None = None) -> VisitPerson:
        user = self.users.get(user_id)
        unit = self.units.get(unit_id if unit_id is not None else (user.unit_id if user else -1))
        return VisitPerson(user_id=user_id, name=user.name if user else "", unit_code=unit.code if unit else "",
                           unit_name=unit.name if unit else "")


def read(visit: Visit, found: Lookups) -> VisitRead:
    enterprise = found.enterprises[visit.enterprise_id]
    return VisitRead(
        id=visit.id,  # type: ignore[arg-type]
        enterprise_uscc=enterprise.uscc, enterprise_name=enterprise.name,
        street_code=found.units[visit.street_unit_id].code, visited_on=visit.visited_on,
        mode=visit.mode,  # type: ignore[arg-type]
        visitor=found.person(visit.visitor_user_id, visit.visitor_unit_id),
        participants=[found.person(u) for u in visit.participant_user_ids], summary=visit.summary,
        appeal_ids=[a.id for a in found.appeals.get(visit.id, [])],  # type: ignore[arg-type, misc]
        policy_ids=list(visit.policy_ids), revisit_on=visit.revisit_on, via=visit.via, created_at=visit.created_at,
    )


def to_reads(session: Session, visits: Sequence[Visit]) -> list[VisitRead]:
    found = Lookups(session, visits)
    return [read(v, found) for v in visits]


def to_read(session: Session, visit: Visit) -> VisitRead:
    return to_reads(session, [visit])[0]
