from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.appeals import access, service, views, workflow
from app.appeals.lifecycle import Action
from app.appeals.schemas import (
    ActionIn,
    AllowedActions,
    AppealCreate,
    AppealEventPage,
    AppealPage,
    AppealRead,
    CategoryList,
    CategoryRead,
)
from app.auth import service as auth
from app.auth.deps import AnyPrincipalDep, PrincipalDep
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.http import created, etag
from app.core.validation import IdempotencyKey, IdPath, IfMatch, parse_if_match
from app.deps import NowDep, SessionDep, SettingsDep
from app.enums import CATEGORY_LABELS, Category, SlaState, Status, Tier, Urgency
from app.errors import problem_responses

router = APIRouter(prefix="/api/v1", tags=["appeals"])

@router.get("/categories", response_model=CategoryList, responses=problem_responses())
def list_categories(principal: AnyPrincipalDep) -> CategoryList:
    """诉求类别及中文名称。"""
    return CategoryList(items=[CategoryRead(code=c, label=CATEGORY_LABELS[c]) for c in Category])


@router.post("/appeals", status_code=201, response_model=AppealRead, responses=problem_responses(403))
def submit_appeal(
    data: AppealCreate, session: SessionDep, principal: PrincipalDep, now: NowDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """提交诉求（企业本人，或工作人员代企业走访收集）。自动红黄绿赋码、分派属地街道、计算期限。"""
    outcome = service.submit_appeal(session, principal, data, now=now, idempotency_key=idempotency_key)
    return created(outcome, location=f"/api/v1/appeals/{outcome.body['id']}", version=outcome.body["version"])


@router.get("/appeals", response_model=AppealPage, responses=problem_responses(403))
def list_appeals(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    status: Annotated[list[Status] | None, Query(description="可多选")] = None,
    urgency: Urgency | None = None,
    sla_state: SlaState | None = None,
    tier: Tier | None = None,
    unit: Annotated[str | None, Query(max_length=32, description="单位编码（含下级）")] = None,
    category: Category | None = None,
    enterprise: Annotated[str | None, Query(max_length=18, description="企业统一社会信用代码")] = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    text: Annotated[str | None, Query(max_length=100, description="标题包含，或诉求编号")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> AppealPage:
    """按条件列出可见诉求，新的在前，游标分页。"""
    secret = settings.signing_secret
    after = decode_cursor_id(cursor, secret)
    filters = service.ListFilters(status=status, urgency=urgency, sla_state=sla_state, tier=tier, unit_code=unit,
                                  category=category, enterprise_uscc=enterprise, overdue=overdue,
                                  supervised=supervised, text=text)
    rows = service.list_appeals(session, principal, filters, reach_ids=auth.reach_unit_ids(session, principal),
                                before_id=after, limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return AppealPage(items=views.to_reads(session, page.rows), next_cursor=page.next_cursor)


@router.get("/appeals/{appeal_id}", response_model=AppealRead, responses=problem_responses(403))
def get_appeal(appeal_id: IdPath, session: SessionDep, principal: PrincipalDep, response: Response) -> AppealRead:
    """读取诉求详情；ETag 为当前版本，可用于 If-Match。"""
    appeal = access.get_visible(session, principal, appeal_id, auth.reach_unit_ids(session, principal))
    response.headers["ETag"] = etag(appeal.version)
    return views.to_read(session, appeal)


@router.get("/appeals/{appeal_id}/events", response_model=AppealEventPage, responses=problem_responses(403))
def list_events(appeal_id: IdPath, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
                limit: LimitQuery = 200, cursor: CursorQuery = None) -> AppealEventPage:
    """诉求时间线（企业只看到公开记录）。"""
    secret = settings.signing_secret
    after = decode_cursor_id(cursor, secret)
    appeal = access.get_visible(session, principal, appeal_id, auth.reach_unit_ids(session, principal))
    rows = service.list_events(session, principal, appeal, after_id=after,
                               limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return AppealEventPage(items=[views.event_to_read(e) for e in page.rows], next_cursor=page.next_cursor)


@router.post("/appeals/{appeal_id}/actions/{action}", response_model=AppealRead,
             responses=problem_responses(403, 409, 412, 429))
def perform_action(appeal_id: IdPath, action: Action, session: SessionDep, principal: PrincipalDep, now: NowDep,
                   response: Response, data: ActionIn | None = None, if_match: IfMatch = None) -> AppealRead:
    """执行办理动作：签收、进展、要求补充、补充、办结、退回、改派、提级、下派、加派、延期、催办、督办、评价、结案、
    不予受理、撤回、合并、调色。非法状态流转返回 409（含当前状态和可执行动作），If-Match 过期返回 412。"""
    appeal = workflow.perform_action(session, principal, appeal_id, action, data or ActionIn(), now=now,
                                     if_match=parse_if_match(if_match, resource="诉求"))
    response.headers["ETag"] = etag(appeal.version)
    return views.to_read(session, appeal)


@router.get("/appeals/{appeal_id}/allowed-actions", response_model=AllowedActions, responses=problem_responses(403))
def get_allowed_actions(appeal_id: IdPath, session: SessionDep, principal: PrincipalDep) -> AllowedActions:
    """当前用户对该诉求现在可执行的动作。"""
    appeal = access.get_visible(session, principal, appeal_id, auth.reach_unit_ids(session, principal))
    return AllowedActions(status=appeal.status, actions=workflow.allowed_actions(session, principal, appeal))
