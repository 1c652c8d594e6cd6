"""Enterprise registry use cases. Reach: an enterprise belongs to the subtree containing its street."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from app.enums import Role, Tier, UnitKind
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.units import service as units
from app.units.models import Unit


def _street_in_reach(session: Session, principal: Principal, code: str, field: str) -> Unit:
    unit = units.get_by_code(session, code)
    if unit is None or not principal.reaches_path(unit.path):
        raise InvalidInput.field(field, f"单位 {code} 不存在或不在您的权限范围内")
    if unit.tier != Tier.street or unit.kind != UnitKind.area:
        raise InvalidInput.field(field, f"单位 {code} 不是街道/镇，企业属地必须是街道/镇")
    return unit


def _liaison_in_reach(session: Session, principal: Principal, user_id: int) -> User:
    user = session.get(User, user_id)
    unit = session.get(Unit, user.unit_id) if user else None
    if user is None or unit is None or not principal.reaches_path(unit.path):
        raise InvalidInput.field("body.liaison_user_id", f"用户 {user_id} 不存在或不在您的权限范围内")
    return user


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
    if enterprise is None or street is None or not _reaches(principal, enterprise, street):
        raise NotFound(f"企业 {uscc} 不存在或不在您的权限范围内")
    return enterprise, street


def _reaches(principal: Principal, enterprise: Enterprise, street: Unit) -> bool:
    if principal.is_enterprise:
        return principal.enterprise_id == enterprise.id
    return principal.reaches_path(street.path)


def create_enterprise(session: Session, principal: Principal, data: EnterpriseCreate, *, now: datetime) -> tuple[
    Enterprise, Unit
]:
    if not principal.is_admin:
        raise Forbidden("只有管理员可以登记企业")
    street = _street_in_reach(session, principal, data.street_code, "body.street_code")
    if get_by_uscc(session, data.uscc) is not None:
        raise Conflict(f"统一社会信用代码 {data.uscc} 已登记")
    if data.liaison_user_id is not None:
        _liaison_in_reach(session, principal, data.liaison_user_id)
    enterprise = Enterprise(
        uscc=data.uscc,
        name=data.name,
        street_unit_id=street.id,  # type: ignore[arg-type]
        address=data.address,
        contact_name=data.contact_name,
        contact_mobile=data.contact_mobile,
        tags=list(dict.fromkeys(data.tags)),
        liaison_user_id=data.liaison_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(enterprise)
    session.commit()
    return enterprise, street


def update_enterprise(
    session: Session, principal: Principal, uscc: str, data: EnterpriseUpdate, *, now: datetime
) -> tuple[Enterprise, Unit]:
    enterprise, street = get_in_reach(session, principal, uscc)
    if not principal.is_admin:
        raise Forbidden("只有管理员可以修改企业信息")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("street_code"):
        street = _street_in_reach(session, principal, changes.pop("street_code"), "body.street_code")
        enterprise.street_unit_id = street.id  # type: ignore[assignment]
    changes.pop("street_code", None)
    if changes.get("liaison_user_id") is not None:
        _liaison_in_reach(session, principal, changes["liaison_user_id"])
    for field, value in changes.items():
        if value is None and field not in ("liaison_user_id",):
            raise InvalidInput.field(f"body.{field}", "不能为 null")
        setattr(enterprise, field, list(dict.fromkeys(value)) if field == "tags" else value)
    enterprise.updated_at = now
    session.add(enterprise)
    session.commit()
    return enterprise, street


def list_enterprises(
    session: Session,
    principal: Principal,
    *,
    reach_ids: list[int] | None,
    street_code: str | None,
    text: str | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[Enterprise, Unit]]:
    query = select(Enterprise, Unit).join(Unit, col(Unit.id) == Enterprise.street_unit_id)
    if reach_ids is not None:
        query = query.where(col(Enterprise.street_unit_id).in_(reach_ids))
    if street_code:
        query = query.where(Unit.code == street_code)
    if text:
        query = query.where(col(Enterprise.name).contains(text))
    if after_id is not None:
        query = query.where(col(Enterprise.id) > after_id)
    return [(e, u) for e, u in session.exec(query.order_by(col(Enterprise.id)).limit(limit)).all()]
