"""Enterprise registry use cases. Reach: an enterprise belongs to the subtree containing its street."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.core import events, reach
from app.enterprises.events import BuildingAssigned, LiaisonAssigned
from app.enterprises.models import Enterprise
from app.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from app.enums import Role, Tier, UnitKind
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.units import service as units
from app.units.models import Unit

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
    if data.building_id is not None:  # checked before the INSERT: an unknown building is a 422, not an FK error
        events.publish(session, BuildingAssigned(enterprise, "body.building_id"))
    session.add(enterprise)
    session.flush()
    if data.liaison_user_id is not None:
        events.publish(session, LiaisonAssigned(principal, enterprise, data.liaison_user_id, "body.liaison_user_id",
                                                now))
    session.commit()
    return enterprise, street


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
    liaison_user_id = changes.pop("liaison_user_id", None)
    for field, value in changes.items():
        if value is None and field not in FACTS:  # the optional facts may be cleared
            raise InvalidInput.field(f"body.{field}", "不能为 null")
        setattr(enterprise, field, list(dict.fromkeys(value)) if field == "tags" else value)
    if enterprise.building_id is not None and ("building_id" in changes or "street_code" in data.model_fields_set):
        events.publish(session, BuildingAssigned(enterprise, "body.building_id"))
    enterprise.updated_at = now
    session.add(enterprise)
    if pairing_change:
        events.publish(session, LiaisonAssigned(principal, enterprise, liaison_user_id, "body.liaison_user_id", now))
    session.commit()
    return enterprise, street


@dataclass(frozen=True)
class ListFilters:
    street_code: str | None = None
    unit_code: str | None = None
    text: str | None = None
    unpaired: bool | None = None


def list_enterprises(
    session: Session,
    principal: Principal,
    *,
    reach_ids: list[int] | None,
    filters: ListFilters,
    after_id: int | None,
    limit: int,
    extra: Any = None,
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
    if extra is not None:  # a clause of a domain above (e.g. visits' "overdue"), composed by the router
        query = query.where(extra)
    if after_id is not None:
        query = query.where(col(Enterprise.id) > after_id)
    return [(e, u) for e, u in session.exec(query.order_by(col(Enterprise.id)).limit(limit)).all()]
