from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query

from app.auth import service as auth
from app.auth.deps import AdminDep, PrincipalDep, StaffDep
from app.auth.principal import Principal
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.time import shanghai_date as local_date
from app.core.validation import UnitCode
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises import service
from app.enterprises.industry import DIVISIONS, SECTIONS
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.enterprises.schemas import EnterpriseCreate, EnterprisePage, EnterpriseRead, EnterpriseUpdate
from app.errors import problem_responses
from app.units.models import Unit
from app.visits import overdue

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])


def industry_name(code: str | None) -> str | None:
    if not code:
        return None
    return SECTIONS.get(code) if len(code) == 1 else DIVISIONS.get(code[1:], ("", None))[1]


def to_read(enterprise: Enterprise, street: Unit, principal: Principal,
            visit: service.VisitFacts | None = None) -> EnterpriseRead:
    mobile = enterprise.contact_mobile
    if not service.sees_full_contact(principal, street):
        mobile = mask_mobile(mobile)
    return EnterpriseRead(
        uscc=enterprise.uscc, name=enterprise.name, street_code=street.code, address=enterprise.address,
        contact_name=enterprise.contact_name, contact_mobile=mobile, tags=enterprise.tags,
        liaison_user_id=enterprise.liaison_user_id, industry=enterprise.industry,
        industry_name=industry_name(enterprise.industry), scale=enterprise.scale, employees=enterprise.employees,
        key_level=enterprise.key_level, building_id=enterprise.building_id,
        last_visited_on=visit.last_visited_on if visit else None,
        next_visit_due_on=visit.status.next_due_on if visit else None,
        visit_overdue=bool(visit and visit.status.overdue),
        created_at=enterprise.created_at, updated_at=enterprise.updated_at,
    )


def _reads(session: SessionDep, rows: list[tuple[Enterprise, Unit]], principal: Principal,
           now: datetime) -> list[EnterpriseRead]:
    statuses = overdue.visit_statuses(session, [e for e, _ in rows], local_date(now))
    return [to_read(e, street, principal, statuses.get(e.id)) for e, street in rows]  # type: ignore[arg-type]


@router.post("", status_code=201, response_model=EnterpriseRead, responses=problem_responses(403, 409))
def create_enterprise(data: EnterpriseCreate, session: SessionDep, principal: AdminDep, now: NowDep) -> EnterpriseRead:
    """登记企业；统一社会信用代码校验位错误返回 422。行业代码按 GB/T 4754-2017 校验。"""
    enterprise, street = service.create_enterprise(session, principal, data, now=now)
    return _reads(session, [(enterprise, street)], principal, now)[0]


@router.get("", response_model=EnterprisePage, responses=problem_responses(403))
def list_enterprises(
    session: SessionDep,
    principal: StaffDep,
    settings: SettingsDep,
    now: NowDep,
    street_code: str | None = None,
    unit: Annotated[UnitCode | None, Query(description="单位编码：属地在该单位辖区内的企业")] = None,
    text: Annotated[str | None, Query(max_length=100, description="企业名称包含")] = None,
    unpaired: Annotated[bool | None, Query(description="true：未结对；false：已结对")] = None,
    visit_overdue: Annotated[bool | None, Query(description="true：结对企业超过走访频次未走访")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> EnterprisePage:
    """列出权限范围内的企业（含结对、楼长可见的企业）。"""
    secret = settings.signing_secret
    after = decode_cursor_id(cursor, secret)
    filters = service.ListFilters(street_code=street_code, unit_code=unit, text=text, unpaired=unpaired)
    overdue_filter = None
    if visit_overdue is not None:  # the visit cadence is the visits domain's rule
        late = overdue.overdue_clause(session, local_date(now))
        overdue_filter = late if visit_overdue else sa.not_(late)
    rows = service.list_enterprises(
        session, principal, reach_ids=auth.reach_unit_ids(session, principal), filters=filters, after_id=after,
        limit=limit + 1, extra=overdue_filter,
    )
    page = Page.of(rows, limit, secret, lambda row: {"id": row[0].id})
    return EnterprisePage(items=_reads(session, page.rows, principal, now), next_cursor=page.next_cursor)


@router.get("/{uscc}", response_model=EnterpriseRead, responses=problem_responses(403))
def get_enterprise(uscc: str, session: SessionDep, principal: PrincipalDep, now: NowDep) -> EnterpriseRead:
    """读取企业信息（联系人手机号按权限掩码）。"""
    return _reads(session, [service.get_in_reach(session, principal, uscc)], principal, now)[0]


@router.patch("/{uscc}", response_model=EnterpriseRead, responses=problem_responses(403))
def update_enterprise(uscc: str, data: EnterpriseUpdate, session: SessionDep, principal: AdminDep,
                      now: NowDep) -> EnterpriseRead:
    """修改企业信息（含行业、规模、从业人数、重点企业级别、所在楼宇）。"""
    return _reads(session, [service.update_enterprise(session, principal, uscc, data, now=now)], principal, now)[0]
