"""Unit tree use cases. Each public function is one transaction and commits it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.core.principal import Principal
from app.db import memo
from app.enums import Role, Tier, UnitKind
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.units.models import Unit
from app.units.schemas import UnitCreate, UnitUpdate

# Which tier an area unit's parent must have: the tree is city → district → street.
AREA_PARENT_TIER: dict[Tier, Tier | None] = {Tier.city: None, Tier.district: Tier.city, Tier.street: Tier.district}


def get_by_code(session: Session, code: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.code == code)).first()


def get_in_reach(session: Session, principal: Principal, code: str) -> Unit:
    unit = get_by_code(session, code)
    if unit is None or not principal.reaches_path(unit.path):
        raise NotFound(f"单位 {code} 不存在或不在您的权限范围内")
    return unit


def codes_by_id(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(set(ids)))).all()
    return {uid: code for uid, code in rows}


def subtree_ids(session: Session, unit: Unit) -> list[int]:
    return list(session.exec(select(Unit.id).where(col(Unit.path).startswith(unit.path))).all())


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The chain of units above `unit`, nearest first (parent, grandparent, …)."""
    codes = [c for c in unit.path.strip("/").split("/")][:-1]
    if not codes:
        return []
    by_code = {u.code: u for u in session.exec(select(Unit).where(col(Unit.code).in_(codes))).all()}
    return [by_code[c] for c in reversed(codes) if c in by_code]


def area_parent(session: Session, unit: Unit) -> Unit | None:
    """The next area unit up the escalation ladder (departments escalate to their area's parent)."""
    return memo(session, ("area_parent", unit.path, unit.tier), lambda: _area_parent(session, unit))


def is_top(unit: Unit) -> bool:
    """Nothing above on the escalation ladder, i.e. `area_parent(unit) is None`, without a query: the tree's shape
    is enforced at creation (`_check_shape`: every street hangs under a district, every district under the city,
    departments at their area's tier), so only city-tier units are at the top."""
    return unit.tier == Tier.city


def _area_parent(session: Session, unit: Unit) -> Unit | None:
    for above in ancestors(session, unit):
        if above.kind == UnitKind.area and above.tier != unit.tier:
            return above
    return None


def list_units(
    session: Session,
    principal: Principal,
    *,
    tier: Tier | None,
    parent_code: str | None,
    kind: UnitKind | None,
    after_code: str | None,
    limit: int,
) -> list[Unit]:
    query = select(Unit).where(col(Unit.path).startswith(principal.unit_path or "\x00"))
    if tier:
        query = query.where(Unit.tier == tier)
    if kind:
        query = query.where(Unit.kind == kind)
    if parent_code:
        parent = get_by_code(session, parent_code)
        if parent is None:
            return []
        query = query.where(Unit.parent_id == parent.id)
    if after_code:
        query = query.where(Unit.code > after_code)
    return list(session.exec(query.order_by(col(Unit.code)).limit(limit)).all())


def _check_shape(data: UnitCreate, parent: Unit | None, field_prefix: str = "body") -> None:
    if data.kind == UnitKind.department:
        if parent is None:
            raise InvalidInput.field(f"{field_prefix}.parent_code", "部门必须挂在一个区域单位下")
        if parent.kind != UnitKind.area or parent.tier != data.tier:
            raise InvalidInput.field(
                f"{field_prefix}.tier", f"部门的层级必须与其上级区域单位相同（上级为 {parent.tier}）"
            )
        return
    wanted = AREA_PARENT_TIER[data.tier]
    if wanted is None:
        if parent is not None:
            raise InvalidInput.field(f"{field_prefix}.parent_code", "市级单位不能有上级单位")
        return
    if parent is None:
        raise InvalidInput.field(f"{field_prefix}.parent_code", f"{data.tier} 级单位必须指定上级单位")
    if parent.kind != UnitKind.area or parent.tier != wanted:
        raise InvalidInput.field(f"{field_prefix}.parent_code", f"上级单位必须是 {wanted} 级区域单位")


def _authorise_create(principal: Principal, parent: Unit | None) -> None:
    if principal.role == Role.system:
        return
    if not principal.is_admin:
        raise Forbidden("只有管理员可以创建单位")
    if parent is None:
        if principal.role != Role.city_admin:
            raise Forbidden("只有市级管理员可以创建市级单位")
        return
    if not principal.reaches_path(parent.path):
        raise InvalidInput.field("body.parent_code", "上级单位不存在或不在您的权限范围内")


def _add_unit(session: Session, data: UnitCreate, *, now: datetime, known: dict[str, Unit]) -> Unit:
    if data.code in known or get_by_code(session, data.code) is not None:
        raise Conflict(f"单位编码 {data.code} 已存在")
    parent = None
    if data.parent_code:
        parent = known.get(data.parent_code) or get_by_code(session, data.parent_code)
        if parent is None:
            raise InvalidInput.field("body.parent_code", f"上级单位 {data.parent_code} 不存在")
    _check_shape(data, parent)
    unit = Unit(
        code=data.code,
        name=data.name,
        tier=data.tier,
        kind=data.kind,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + data.code + "/",
        created_at=now,
    )
    session.add(unit)
    session.flush()
    known[unit.code] = unit
    return unit


def create_unit(session: Session, principal: Principal, data: UnitCreate, *, now: datetime) -> Unit:
    parent = get_by_code(session, data.parent_code) if data.parent_code else None
    if data.parent_code and parent is None:
        raise InvalidInput.field("body.parent_code", f"上级单位 {data.parent_code} 不存在")
    _authorise_create(principal, parent)
    unit = _add_unit(session, data, now=now, known={})
    session.commit()
    return unit


def import_units(session: Session, principal: Principal, items: Sequence[UnitCreate], *, now: datetime) -> list[Unit]:
    """Creates a whole batch or nothing. Items may come in any order: parents are created first."""
    pending = {item.code: item for item in items}
    if len(pending) != len(items):
        raise InvalidInput.field("body.units", "同一批次中单位编码重复")
    created: list[Unit] = []
    known: dict[str, Unit] = {}
    while pending:
        ready = [
            item for item in pending.values() if item.parent_code is None or item.parent_code not in pending
        ]
        if not ready:
            raise InvalidInput.field("body.units", "上级关系形成环：" + ", ".join(sorted(pending)))
        for item in sorted(ready, key=lambda i: i.code):
            parent = known.get(item.parent_code or "") or (
                get_by_code(session, item.parent_code) if item.parent_code else None
            )
            if item.parent_code and parent is None:
                raise InvalidInput.field("body.units", f"单位 {item.code} 的上级单位 {item.parent_code} 不存在")
            _authorise_create(principal, parent)
            created.append(_add_unit(session, item, now=now, known=known))
            del pending[item.code]
    session.commit()
    return created


def update_unit(session: Session, principal: Principal, code: str, data: UnitUpdate, *, now: datetime) -> Unit:
    unit = get_in_reach(session, principal, code)
    if not principal.is_admin:
        raise Forbidden("只有管理员可以修改单位")
    if data.name is not None:
        unit.name = data.name
    if data.parent_code is not None and data.parent_code != _parent_code(session, unit):
        _move(session, principal, unit, data.parent_code)
    session.add(unit)
    session.commit()
    return unit


def _parent_code(session: Session, unit: Unit) -> str | None:
    return session.get(Unit, unit.parent_id).code if unit.parent_id else None  # type: ignore[union-attr]


def _move(session: Session, principal: Principal, unit: Unit, parent_code: str) -> None:
    new_parent = get_by_code(session, parent_code)
    if new_parent is None or not principal.reaches_path(new_parent.path):
        raise InvalidInput.field("body.parent_code", f"上级单位 {parent_code} 不存在或不在您的权限范围内")
    if new_parent.path.startswith(unit.path):
        raise Conflict(f"不能把 {unit.code} 移到它自己的下级 {parent_code} 之下（会形成环）")
    _check_shape(UnitCreate(code=unit.code, name=unit.name, tier=Tier(unit.tier), kind=UnitKind(unit.kind),
                            parent_code=parent_code), new_parent)
    old_prefix, new_prefix = unit.path, new_parent.path + unit.code + "/"
    for node in session.exec(select(Unit).where(col(Unit.path).startswith(old_prefix))).all():
        node.path = new_prefix + node.path[len(old_prefix):]
        session.add(node)
    unit.parent_id = new_parent.id
