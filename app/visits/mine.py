"""The liaison's own list (我的企业): the enterprises paired with them and those in buildings they manage, with the
visit cadence (last visit, days since, next due, overdue) and the open appeals of each."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, or_, select

from app.appeals.lifecycle import OPEN
from app.appeals.models import Appeal
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.errors import Forbidden
from app.pairing.models import Building
from app.pairing.schemas import MyEnterprise
from app.units.models import Unit
from app.visits import overdue


def my_enterprises(session: Session, principal: Principal, *, today: date) -> list[MyEnterprise]:
    if not principal.is_staff or principal.user_id is None:
        raise Forbidden("「我的企业」需使用绑定到具体用户的凭据（服务专员本人）")
    managed = select(Building.id).where(Building.manager_user_id == principal.user_id)
    rows = session.exec(
        select(Enterprise, Unit).join(Unit, col(Unit.id) == Enterprise.street_unit_id)
        .where(or_(Enterprise.liaison_user_id == principal.user_id, col(Enterprise.building_id).in_(managed)))
        .order_by(col(Enterprise.id))
    ).all()
    found = [e for e, _ in rows]
    ids = [e.id for e in found]
    open_counts = dict(session.exec(
        select(Appeal.enterprise_id, func.count()).where(col(Appeal.enterprise_id).in_(ids),
                                                         col(Appeal.status).in_(OPEN))
        .group_by(Appeal.enterprise_id)).all()) if ids else {}
    facts = overdue.visit_statuses(session, found, today)
    items = [MyEnterprise(
        uscc=e.uscc, name=e.name, street_code=street.code, street_name=street.name,
        via="pairing" if e.liaison_user_id == principal.user_id else "building", key_level=e.key_level,
        paired_since=facts[e.id].paired_since if e.liaison_user_id == principal.user_id else None,  # type: ignore[index]
        last_visited_on=facts[e.id].last_visited_on, days_since=facts[e.id].status.days_since,  # type: ignore[index]
        next_due_on=facts[e.id].status.next_due_on, visit_overdue=facts[e.id].status.overdue,  # type: ignore[index]
        open_appeals=open_counts.get(e.id, 0),
    ) for e, street in rows]
    # Most urgent first: overdue, then the nearest due date; never visited and unpaired last.
    return sorted(items, key=lambda i: (not i.visit_overdue, i.next_due_on or date.max, i.uscc))
