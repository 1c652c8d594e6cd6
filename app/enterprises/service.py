"""Enterprise registry use cases. Reach: an enterprise belongs to the subtree containing its street."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.auth.principal import Principal
from app.core import reach
from app.core.time import SHANGHAI
from app.enterprises.models import Enterprise
from app.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from app.enums import Role, Tier, UnitKind
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pairing.models import Pairing
from app.units import service as units
from app.units.models import Unit
from app.visits import cadence
from app.visits.models import Visit

FACTS = ("industry", "scale", "employees", "key_level", "building_id")


def street_in_reach(session: Session, principal: Principal, code: str, field: str,
                    why: str = "企业属地必须是街道/镇") -> Unit:
    """A street (街道/镇, an area unit) in the principal's subtree, or a 422 naming `field`."""
    unit = units.get_by_code(session, code)
    if unit is None or not principal.reaches_path(unit.path):
        raise InvalidInput.field(field, f"单位 {code} 不存在或不在您的权限范围内")
    if unit.tier != Tier.street or unit.kind != UnitKind.area:
        raise InvalidInput.field(field, f"单位 {code} 不是街道/镇，{why}")
    return unit


def sees_full_contact(principal: Principal, street: Unit) -> bool:
    """Only the owning street's admins see the contact mobile unmasked (PIPL: minimum necessary)."""
    return principal.role == Role.street_admin and principal.unit_id == street.id


def get_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.exec(select(Enterprise).where(Enterprise.uscc == uscc.strip().upper())).first()


# Built once: every intake runs it, and building the statement and its cache key cost more than running it.
_WITH_STREET = (select(Enterprise, Unit).join(Unit, col(Unit.id) == Enterprise.street_unit_id)
                .where(Enterprise.uscc == sa.bindparam("uscc")))


def get_with_street(session: Session, uscc: str) -> tuple[Enterprise, Unit] | None:
    """The enterprise and its street (属地) in one query."""
    row = session.exec(_WITH_STREET, params={"uscc": uscc.strip().upper()}).first()
    return (row[0], row[1]) if row else None


def get_in_reach(session: Session, principal: Principal, uscc: str) -> tuple[Enterprise, Unit]:
    enterprise = get_by_uscc(session, uscc)
    street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
    if enterprise is None or street is None or not _reaches(session, principal, enterprise, street):
        raise NotFound(f"企业 {uscc} 不存在或不在您的权限范围内")
    return enterprise, street


def _reaches(session: Session, principal: Principal, enterprise: Enterprise, street: Unit) -> bool:
    if principal.is_enterprise:
        return principal.enterprise_id == enterprise.id
    return staff_reaches(session, principal, enterprise.id, street)  # type: ignore[arg-type]


def staff_reaches(session: Session, principal: Principal, enterprise_id: int, street: Unit) -> bool:
    """Staff reach an enterprise through their unit's subtree, or through what another domain grants them (a
    pairing, a building they manage: app.core.reach)."""
    return principal.reaches_path(street.path) or (principal.is_staff and reach.grants(session, principal,
                                                                                        enterprise_id))


def _admin_in_tree(principal: Principal, street: Unit, uscc: str) -> None:
    """Editing stays with the admins whose subtree holds the street; a pairing grants reading, not editing."""
    if not principal.reaches_path(street.path):
        raise NotFound(f"企业 {uscc} 不存在或不在您的权限范围内")
    if not principal.is_admin:
        raise Forbidden("只有管理员可以修改企业信息")


def create_enterprise(session: Session, principal: Principal, data: EnterpriseCreate, *, now: datetime) -> tuple[
    Enterprise, Unit
]:
    if not principal.is_admin:
        raise Forbidden("只有管理员可以登记企业")
    street = street_in_reach(session, principal, data.street_code, "body.street_code")
    if get_by_uscc(session, data.uscc) is not None:
        raise Conflict(f"统一社会信用代码 {data.uscc} 已登记")
    liaison = _liaison(session, data.liaison_user_id, "body.liaison_user_id")
    if data.building_id is not None:
        _check_building(session, data.building_id, street.id, "body.building_id")  # type: ignore[arg-type]
    enterprise = Enterprise(
        uscc=data.uscc,
        name=data.name,
        street_unit_id=street.id,  # type: ignore[arg-type]
        address=data.address,
        contact_name=data.contact_name,
        contact_mobile=data.contact_mobile,
        tags=list(dict.fromkeys(data.tags)),
        industry=data.industry,
        scale=data.scale,
        employees=data.employees,
        key_level=data.key_level,
        building_id=data.building_id,
        created_at=now,
        updated_at=now,
    )
    session.add(enterprise)
    if liaison is not None:
        from app.pairing import service as pairing

        session.flush()
        pairing.pair(session, principal, enterprise, *liaison, note=None, now=now)
    session.commit()
    return enterprise, street


def _liaison(session: Session, user_id: int | None, field: str) -> Any:
    if user_id is None:
        return None
    from app.pairing import service as pairing

    return pairing.liaison_user(session, user_id, field)


def _check_building(session: Session, building_id: int, street_unit_id: int, field: str) -> None:
    from app.pairing import buildings

    buildings.check_for_enterprise(session, building_id, street_unit_id, field)


def update_enterprise(
    session: Session, principal: Principal, uscc: str, data: EnterpriseUpdate, *, now: datetime
) -> tuple[Enterprise, Unit]:
    enterprise, street = get_in_reach(session, principal, uscc)
    _admin_in_tree(principal, street, uscc)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("street_code"):
        street = street_in_reach(session, principal, changes.pop("street_code"), "body.street_code")
        enterprise.street_unit_id = street.id  # type: ignore[assignment]
    changes.pop("street_code", None)
    pairing_change = "liaison_user_id" in changes
    liaison = _liaison(session, changes.pop("liaison_user_id", None), "body.liaison_user_id")
    for field, value in changes.items():
        if value is None and field not in FACTS:  # the optional facts may be cleared
            raise InvalidInput.field(f"body.{field}", "不能为 null")
        setattr(enterprise, field, list(dict.fromkeys(value)) if field == "tags" else value)
    if enterprise.building_id is not None and ("building_id" in changes or "street_code" in data.model_fields_set):
        _check_building(session, enterprise.building_id, enterprise.street_unit_id, "body.building_id")
    enterprise.updated_at = now
    session.add(enterprise)
    if pairing_change:
        from app.pairing import service as pairing

        if liaison is None:
            pairing.unpair(session, principal, enterprise, now=now)
        else:
            pairing.pair(session, principal, enterprise, *liaison, note=None, now=now)
    session.commit()
    return enterprise, street


@dataclass(frozen=True)
class ListFilters:
    street_code: str | None = None
    unit_code: str | None = None
    text: str | None = None
    unpaired: bool | None = None
    visit_overdue: bool | None = None


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


def list_enterprises(
    session: Session,
    principal: Principal,
    *,
    reach_ids: list[int] | None,
    filters: ListFilters,
    after_id: int | None,
    limit: int,
    today: date,
) -> list[tuple[Enterprise, Unit]]:
    query = select(Enterprise, Unit).join(Unit, col(Unit.id) == Enterprise.street_unit_id)
    if reach_ids is not None:
        granted = reach.enterprise_clause(col(Enterprise.id), principal)
        in_tree = col(Enterprise.street_unit_id).in_(reach_ids)
        query = query.where(in_tree if granted is None else sa.or_(in_tree, granted))
    if filters.street_code:
        query = query.where(Unit.code == filters.street_code)
    if filters.unit_code:
        unit = units.get_in_reach(session, principal, filters.unit_code)
        query = query.where(col(Unit.path).startswith(unit.path))
    if filters.text:
        query = query.where(col(Enterprise.name).contains(filters.text))
    if filters.unpaired is not None:
        paired = col(Enterprise.liaison_user_id).is_not(None)
        query = query.where(sa.not_(paired) if filters.unpaired else paired)
    if filters.visit_overdue is not None:
        from app.visits import policy_service

        overdue = _overdue_clause(policy_service.current(session)[0], today)
        query = query.where(overdue if filters.visit_overdue else sa.not_(overdue))
    if after_id is not None:
        query = query.where(col(Enterprise.id) > after_id)
    return [(e, u) for e, u in session.exec(query.order_by(col(Enterprise.id)).limit(limit)).all()]


@dataclass(frozen=True)
class VisitFacts:
    last_visited_on: date | None
    paired_since: date | None
    status: cadence.VisitStatus


def visit_statuses(session: Session, enterprises: Sequence[Enterprise], today: date) -> dict[int, VisitFacts]:
    """Each enterprise's last visit, next due date and overdue flag, in two queries for the whole page."""
    from app.visits import policy_service

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
