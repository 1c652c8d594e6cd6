from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth import service as auth
from app.auth.deps import AdminDep, PrincipalDep, StaffDep
from app.auth.principal import Principal
from app.core.pagination import CursorQuery, LimitQuery, decode_cursor_id, encode_cursor
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises import service
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.enterprises.schemas import EnterpriseCreate, EnterprisePage, EnterpriseRead, EnterpriseUpdate
from app.errors import problem_responses
from app.units.models import Unit

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])


def to_read(enterprise: Enterprise, street: Unit, principal: Principal) -> EnterpriseRead:
    mobile = enterprise.contact_mobile
    if not service.sees_full_contact(principal, street):
        mobile = mask_mobile(mobile)
    return EnterpriseRead(
        uscc=enterprise.uscc, name=enterprise.name, street_code=street.code, address=enterprise.address,
        contact_name=enterprise.contact_name, contact_mobile=mobile, tags=enterprise.tags,
        liaison_user_id=enterprise.liaison_user_id, created_at=enterprise.created_at,
        updated_at=enterprise.updated_at,
    )


@router.post("", status_code=201, response_model=EnterpriseRead, responses=problem_responses(403, 409))
def create_enterprise(data: EnterpriseCreate, session: SessionDep, principal: AdminDep, now: NowDep) -> EnterpriseRead:
    """登记企业；统一社会信用代码校验位错误返回 422。"""
    enterprise, street = service.create_enterprise(session, principal, data, now=now)
    return to_read(enterprise, street, principal)


@router.get("", response_model=EnterprisePage, responses=problem_responses(403))
def list_enterprises(
    session: SessionDep,
    principal: StaffDep,
    settings: SettingsDep,
    street_code: str | None = None,
    text: Annotated[str | None, Query(max_length=100, description="企业名称包含")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> EnterprisePage:
    """列出权限范围内的企业。"""
    secret = settings.signing_secret
    after = decode_cursor_id(cursor, secret)
    rows = service.list_enterprises(
        session, principal, reach_ids=auth.reach_unit_ids(session, principal), street_code=street_code,
        text=text, after_id=after, limit=limit + 1,
    )
    next_cursor = encode_cursor({"id": rows[limit - 1][0].id}, secret) if len(rows) > limit else None
    return EnterprisePage(items=[to_read(e, u, principal) for e, u in rows[:limit]], next_cursor=next_cursor)


@router.get("/{uscc}", response_model=EnterpriseRead, responses=problem_responses(403))
def get_enterprise(uscc: str, session: SessionDep, principal: PrincipalDep) -> EnterpriseRead:
    """读取企业信息（联系人手机号按权限掩码）。"""
    return to_read(*service.get_in_reach(session, principal, uscc), principal)


@router.patch("/{uscc}", response_model=EnterpriseRead, responses=problem_responses(403))
def update_enterprise(uscc: str, data: EnterpriseUpdate, session: SessionDep, principal: AdminDep,
                      now: NowDep) -> EnterpriseRead:
    """修改企业信息。"""
    return to_read(*service.update_enterprise(session, principal, uscc, data, now=now), principal)
