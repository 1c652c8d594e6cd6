"""Policies, matches, pushes, the enterprise's inbox, fulfilment and figures (DESIGN §12). Routes stay thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from app.auth.deps import PrincipalDep, StaffDep
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor, decode_cursor_id
from app.core.http import created, etag
from app.core.validation import IdempotencyKey, IdPath, IfMatch, parse_if_match
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises import service as enterprises
from app.enums import PolicyStatus
from app.errors import InvalidInput, problem_responses
from app.policies import inbox, matches, push, service
from app.policies.matching import PolicyKind
from app.policies.rules import local_today
from app.policies.schemas import (
    DeliveryPage,
    DeliveryRead,
    InterestIn,
    MatchPage,
    OutcomeIn,
    PolicyCreate,
    PolicyForEnterprisePage,
    PolicyPage,
    PolicyRead,
    PolicyUpdate,
    PushRead,
    ServicePackage,
)
from app.visits import service_package

router = APIRouter(prefix="/api/v1", tags=["policies"])

UsccPath = Annotated[str, Path(max_length=30, description="统一社会信用代码")]


@router.post("/policies", status_code=201, response_model=PolicyRead, responses=problem_responses(403))
def create_policy(data: PolicyCreate, session: SessionDep, principal: PrincipalDep, now: NowDep,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """发布政策（发布单位或其上级单位的管理员）。政策范围为发布单位辖区；适用条件无法匹配任何企业时返回 422。"""
    outcome = service.create_policy(session, principal, data, now=now, idempotency_key=idempotency_key)
    return created(outcome, location=f"/api/v1/policies/{outcome.body['id']}", version=outcome.body["version"])


@router.get("/policies", response_model=PolicyPage, responses=problem_responses(403))
def list_policies(session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
                  status: PolicyStatus | None = None, kind: PolicyKind | None = None,
                  limit: LimitQuery = 50, cursor: CursorQuery = None) -> PolicyPage:
    """列出与调用方相关的政策（覆盖本单位或由下级发布），新发布的在前。"""
    secret = settings.signing_secret
    rows = service.list_policies(session, principal, status=status, kind=kind,
                                 after_id=decode_cursor_id(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return PolicyPage(items=page.rows, next_cursor=page.next_cursor)


@router.get("/policies/{policy_id}", response_model=PolicyRead, responses=problem_responses(403))
def get_policy(policy_id: IdPath, session: SessionDep, principal: PrincipalDep, response: Response) -> PolicyRead:
    """读取政策；ETag 为当前版本，可用于 If-Match。"""
    policy, issuer, scope = service.get_visible(session, principal, policy_id)
    response.headers["ETag"] = etag(policy.version)
    return service.to_read(policy, issuer, scope)


@router.patch("/policies/{policy_id}", response_model=PolicyRead, responses=problem_responses(403, 409, 412))
def update_policy(policy_id: IdPath, data: PolicyUpdate, session: SessionDep, principal: PrincipalDep, now: NowDep,
                  response: Response, if_match: IfMatch = None) -> PolicyRead:
    """修改政策（版本号 +1）；If-Match 过期返回 412，已撤回返回 409。"""
    policy = service.update_policy(session, principal, policy_id, data, now=now, if_match=parse_if_match(if_match, resource="政策"))
    response.headers["ETag"] = etag(policy.version)
    return policy


@router.post("/policies/{policy_id}/withdraw", response_model=PolicyRead, responses=problem_responses(403, 409, 412))
def withdraw_policy(policy_id: IdPath, session: SessionDep, principal: PrincipalDep, now: NowDep,
                    response: Response, if_match: IfMatch = None) -> PolicyRead:
    """撤回政策：不再匹配、不能再推送；已推送的记录保留。"""
    policy = service.withdraw_policy(session, principal, policy_id, now=now, if_match=parse_if_match(if_match, resource="政策"))
    response.headers["ETag"] = etag(policy.version)
    return policy


@router.get("/policies/{policy_id}/matches", response_model=MatchPage, responses=problem_responses(403))
def list_matches(policy_id: IdPath, session: SessionDep, principal: StaffDep, settings: SettingsDep, now: NowDep,
                 limit: LimitQuery = 50, cursor: CursorQuery = None) -> MatchPage:
    """今天适用此政策的企业（限调用方权限范围内），附中文适用理由；按企业登记顺序分页。"""
    policy, _, _ = service.get_visible(session, principal, policy_id)
    secret = settings.signing_secret
    rows = matches.match_page(session, policy, today=local_today(now), reach_path=principal.unit_path,
                              after_id=decode_cursor_id(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"id": row[0]})
    items = [match for _, match in page.rows]
    return MatchPage(items=items, next_cursor=page.next_cursor)


@router.post("/policies/{policy_id}/push", status_code=201, response_model=PushRead,
             responses=problem_responses(403, 409))
def push_policy(policy_id: IdPath, session: SessionDep, principal: PrincipalDep, now: NowDep,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """推送政策给当前匹配的企业（每家企业只推送一次，重复推送只补充新匹配的企业）；街道群与结对干部各收到一条汇总。
    已撤回、已过期或未生效的政策返回 409。"""
    return created(push.push_policy(session, principal, policy_id, now=now, idempotency_key=idempotency_key))


@router.get("/enterprises/{uscc}/policies", response_model=PolicyForEnterprisePage, responses=problem_responses(403))
def enterprise_policies(uscc: UsccPath, session: SessionDep, principal: PrincipalDep, now: NowDep) -> (
        PolicyForEnterprisePage):
    """今天适用该企业的有效政策，附适用理由和推送记录。"""
    enterprise, street = enterprises.get_in_reach(session, principal, uscc)
    return PolicyForEnterprisePage(items=matches.policies_for(session, enterprise, street, today=local_today(now)))


@router.get("/enterprises/{uscc}/service-package", response_model=ServicePackage, responses=problem_responses(403))
def enterprise_service_package(uscc: UsccPath, session: SessionDep, principal: PrincipalDep,
                               now: NowDep) -> ServicePackage:
    """企业服务包：普惠政策包 + 个性政策包 + 诉求互动包（结对干部、在办诉求、最近走访）。"""
    return service_package.service_package(session, principal, uscc, now=now)


@router.get("/me/service-package", response_model=ServicePackage, responses=problem_responses(403))
def my_service_package(session: SessionDep, principal: PrincipalDep, now: NowDep) -> ServicePackage:
    """本企业的服务包（企业用户）。"""
    return service_package.service_package(session, principal, None, now=now)


@router.get("/me/policies", response_model=DeliveryPage, responses=problem_responses(403))
def my_policies(session: SessionDep, principal: PrincipalDep, settings: SettingsDep, limit: LimitQuery = 50,
                cursor: CursorQuery = None) -> DeliveryPage:
    """推送给本企业的政策，未读在前、新推送在前。"""
    secret = settings.signing_secret
    position = decode_cursor(cursor, secret)
    after = None
    if position is not None:
        flag, last = position.get("r"), position.get("id")
        if flag not in (0, 1) or not isinstance(last, int) or isinstance(last, bool):
            raise InvalidInput.field("query.cursor", "分页游标不属于此列表 (cursor from another list)")
        after = (flag, last)
    rows = inbox.my_policies(session, principal, after=after, limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"r": 0 if row.read_at is None else 1, "id": row.id})
    return DeliveryPage(items=[inbox.delivery_read(session, d) for d in page.rows], next_cursor=page.next_cursor)


@router.post("/me/policies/{delivery_id}/read", response_model=DeliveryRead, responses=problem_responses(403))
def read_policy(delivery_id: IdPath, session: SessionDep, principal: PrincipalDep, now: NowDep) -> DeliveryRead:
    """已读回执（首次阅读时间）。"""
    return inbox.mark_read(session, principal, delivery_id, now=now)


@router.post("/me/policies/{delivery_id}/interest", status_code=201, response_model=DeliveryRead,
             responses=problem_responses(403, 429))
def declare_interest(delivery_id: IdPath, session: SessionDep, principal: PrincipalDep, now: NowDep,
                     data: InterestIn | None = None) -> JSONResponse:
    """意向申报：生成一件“政策”类诉求，按属地流转，并关联到此推送。重复申报返回 200 与首次的诉求。"""
    delivery, is_new = inbox.declare_interest(session, principal, delivery_id, data or InterestIn(), now=now)
    return JSONResponse(delivery.model_dump(mode="json"), status_code=201 if is_new else 200)


@router.post("/policy-deliveries/{delivery_id}/outcome", response_model=DeliveryRead,
             responses=problem_responses(403))
def record_outcome(delivery_id: IdPath, data: OutcomeIn, session: SessionDep, principal: PrincipalDep,
                   now: NowDep) -> DeliveryRead:
    """登记兑现结果：granted（已兑现，须填金额）、not_eligible（不符合条件）、declined（企业放弃）。"""
    return inbox.record_outcome(session, principal, delivery_id, data, now=now)
