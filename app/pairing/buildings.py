"""Buildings (楼长制, 街道包干楼宇): a street looks after its buildings, each with a manager (楼长) who has the
reach of a paired liaison over every enterprise in it (app.pairing.handlers). Admins whose subtree holds the
building's street manage them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.auth.models import User
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enterprises.service import street_in_reach
from app.enums import Role
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pairing.models import Building
from app.pairing.schemas import BuildingIn, BuildingRead, BuildingUpdate
from app.units.models import Unit

MANAGER_ROLES = frozenset({Role.liaison, Role.street_admin, Role.district_admin, Role.city_admin})


def _manager(session: Session, user_id: int, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in MANAGER_ROLES:
        raise InvalidInput.field(field, f"用户 {user_id} 不存在、已停用或不是单位工作人员，不能担任楼长")
    return user


def get_in_reach(session: Session, principal: Principal, building_id: int) -> tuple[Building, Unit]:
    """A building for staff whose subtree holds its street, or for its own manager."""
    building = session.get(Building, building_id)
    street = session.get(Unit, building.street_unit_id) if building else None
    if building is None or street is None or not (
            principal.reaches_path(street.path) or (principal.is_staff and principal.user_id is not None
                                                    and building.manager_user_id == principal.user_id)):
        raise NotFound(f"楼宇 {building_id} 不存在或不在您的权限范围内")
    return building, street


def _admin_building(session: Session, principal: Principal, building_id: int) -> tuple[Building, Unit]:
    building, street = get_in_reach(session, principal, building_id)
    if not principal.reaches_path(street.path):
        raise NotFound(f"楼宇 {building_id} 不存在或不在您的权限范围内")
    if not principal.is_admin:
        raise Forbidden("只有管理员可以管理楼宇")
    return building, street


def create_building(session: Session, principal: Principal, data: BuildingIn, *, now: datetime) -> BuildingRead:
    if not principal.is_admin:
        raise Forbidden("只有管理员可以登记楼宇")
    street = street_in_reach(session, principal, data.street_code, "body.street_code", "楼宇须由街道/镇包干")
    if data.manager_user_id is not None:
        _manager(session, data.manager_user_id, "body.manager_user_id")
    building = Building(name=data.name, street_unit_id=street.id, address=data.address,  # type: ignore[arg-type]
                        manager_user_id=data.manager_user_id, created_at=now, updated_at=now)
    session.add(building)
    session.commit()
    return describe(session, [(building, street)])[0]


def update_building(session: Session, principal: Principal, building_id: int, data: BuildingUpdate, *,
                    now: datetime) -> BuildingRead:
    building, street = _admin_building(session, principal, building_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "address"):
        if field in changes and changes[field] is None:
            raise InvalidInput.field(f"body.{field}", "不能为 null")
    if changes.get("manager_user_id") is not None:
        _manager(session, changes["manager_user_id"], "body.manager_user_id")
    for field, value in changes.items():
        setattr(building, field, value)  # manager_user_id may be cleared: the building then has no 楼长
    building.updated_at = now
    session.add(building)
    session.commit()
    return describe(session, [(building, street)])[0]


def delete_building(session: Session, principal: Principal, building_id: int) -> BuildingRead:
    building, street = _admin_building(session, principal, building_id)
    tenants = session.exec(select(func.count()).select_from(Enterprise)
                           .where(Enterprise.building_id == building.id)).one()
    if tenants:
        raise Conflict(f"楼宇内仍登记有 {tenants} 家企业，请先修改这些企业的 building_id")
    read = describe(session, [(building, street)])[0]
    session.delete(building)
    session.commit()
    return read


def list_buildings(session: Session, principal: Principal, *, reach_ids: list[int] | None, street_code: str | None,
                   after_id: int | None, limit: int) -> list[BuildingRead]:
    query = select(Building, Unit).join(Unit, col(Unit.id) == Building.street_unit_id)
    if reach_ids is not None:
        mine: Any = col(Building.manager_user_id) == (principal.user_id or -1)
        query = query.where(sa.or_(col(Building.street_unit_id).in_(reach_ids), mine))
    if street_code:
        query = query.where(Unit.code == street_code)
    if after_id is not None:
        query = query.where(col(Building.id) > after_id)
    rows = session.exec(query.order_by(col(Building.id)).limit(limit)).all()
    return describe(session, [(b, u) for b, u in rows])


def describe(session: Session, rows: list[tuple[Building, Unit]]) -> list[BuildingRead]:
    ids = [b.id for b, _ in rows]
    counts = dict(session.exec(select(Enterprise.building_id, func.count()).where(col(Enterprise.building_id).in_(ids))
                               .group_by(Enterprise.building_id)).all()) if ids else {}
    managers = {b.manager_user_id for b, _ in rows if b.manager_user_id is not None}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(managers))).all()) if managers else {}
    return [BuildingRead(id=b.id, name=b.name, street_code=u.code, address=b.address,  # type: ignore[arg-type]
                         manager_user_id=b.manager_user_id, manager_name=names.get(b.manager_user_id),
                         enterprises=counts.get(b.id, 0), created_at=b.created_at, updated_at=b.updated_at)
            for b, u in rows]


def check_for_enterprise(session: Session, building_id: int, street_unit_id: int, field: str) -> None:
    """An enterprise's building must exist and stand in the enterprise's street."""
    building = session.get(Building, building_id)
    if building is None or building.street_unit_id != street_unit_id:
        raise InvalidInput.field(field, f"楼宇 {building_id} 不存在或不在企业所属街道")
