from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.accounts import binding, service, vendors, views
from app.accounts.models import BindingStatus
from app.accounts.schemas import (
    BindingCreate,
    BindingDecision,
    BindingRequestPage,
    BindingRequestRead,
    DingTalkLogin,
    InvitationCreate,
    InvitationCreated,
    LogoutResult,
    MeRead,
    RefreshRequest,
    TokenPair,
    WeChatLogin,
)
from app.auth.deps import AdminDep, AnyPrincipalDep, bearer_token
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.validation import IdPath
from app.deps import NowDep, SessionDep, SettingsDep, waits_on_vendor
from app.errors import problem_responses


def _vendors(request: Request) -> vendors.VendorClients:
    return vendors.from_app_state(request.app.state)


VendorsDep = Annotated[vendors.VendorClients, Depends(_vendors)]
BearerTokenDep = Annotated[str, Depends(bearer_token)]

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
router = APIRouter(prefix="/api/v1", tags=["accounts"])


@auth_router.post("/wechat", response_model=TokenPair, responses=problem_responses(403, 429, 502, 503))
@waits_on_vendor
def sign_in_wechat(data: WeChatLogin, session: SessionDep, clients: VendorsDep, settings: SettingsDep,
                   now: NowDep) -> TokenPair:
    """微信小程序登录：用 wx.login 的 code 换取本系统的 access_token 与 refresh_token。"""
    identity = clients.wechat_identity(data.code)
    issued = service.sign_in(session, identity, secret=settings.signing_secret, now=now)
    return views.token_pair(session, issued)


@auth_router.post("/dingtalk", response_model=TokenPair, responses=problem_responses(403, 429, 502, 503))
@waits_on_vendor
def sign_in_dingtalk(data: DingTalkLogin, session: SessionDep, clients: VendorsDep, settings: SettingsDep,
                     now: NowDep) -> TokenPair:
    """钉钉小程序（企业内部应用）免登：用 dd.getAuthCode 的授权码换取本系统的令牌。"""
    identity = clients.dingtalk_identity(data.auth_code, now=now)
    issued = service.sign_in(session, identity, secret=settings.signing_secret, now=now)
    return views.token_pair(session, issued)


@auth_router.post("/refresh", response_model=TokenPair, responses=problem_responses())
def refresh_tokens(data: RefreshRequest, session: SessionDep, settings: SettingsDep, now: NowDep) -> TokenPair:
    """用 refresh_token 换一对新令牌；旧的两枚随即作废（轮换）。"""
    issued = service.refresh(session, data.refresh_token, secret=settings.signing_secret, now=now)
    return views.token_pair(session, issued)


@auth_router.post("/logout", response_model=LogoutResult, responses=problem_responses(403))
def logout(session: SessionDep, principal: AnyPrincipalDep, token: BearerTokenDep, settings: SettingsDep,
           now: NowDep) -> LogoutResult:
    """退出登录：本次登录的 access_token 与 refresh_token 立即失效。"""
    service.logout(session, principal, token, secret=settings.signing_secret, now=now)
    return LogoutResult()


@router.get("/me", response_model=MeRead, responses=problem_responses(403))
def get_me(session: SessionDep, principal: AnyPrincipalDep) -> MeRead:
    """当前企业用户：是否已绑定企业、绑定申请进度。"""
    return views.me_read(session, service.get_user(session, principal))


@router.post("/me/binding", response_model=MeRead, responses=problem_responses(403, 409))
def bind_enterprise(data: BindingCreate, session: SessionDep, principal: AnyPrincipalDep, settings: SettingsDep,
                    now: NowDep) -> MeRead:
    """绑定所属企业：填邀请码立即绑定；不填则提交绑定申请，由属地街道管理员审核。"""
    user = binding.bind(session, principal, data, secret=settings.signing_secret, now=now)
    return views.me_read(session, user)


@router.post("/enterprises/{uscc}/invitations", status_code=201, response_model=InvitationCreated,
             responses=problem_responses(403, 404))
def create_invitation(uscc: str, session: SessionDep, principal: AdminDep, settings: SettingsDep, now: NowDep,
                      data: InvitationCreate | None = None) -> InvitationCreated:
    """为企业发放一次性邀请码（默认 7 天有效）；邀请码只显示这一次。"""
    invitation, code, enterprise = binding.create_invitation(
        session, principal, uscc, data or InvitationCreate(), secret=settings.signing_secret, now=now)
    return InvitationCreated(id=invitation.id, code=code, enterprise_uscc=enterprise.uscc,  # type: ignore[arg-type]
                             enterprise_name=enterprise.name, expires_at=invitation.expires_at,
                             created_at=invitation.created_at)


@router.get("/binding-requests", response_model=BindingRequestPage, responses=problem_responses(403))
def list_binding_requests(session: SessionDep, principal: AdminDep, settings: SettingsDep,
                          status: BindingStatus | None = BindingStatus.pending, limit: LimitQuery = 50,
                          cursor: CursorQuery = None) -> BindingRequestPage:
    """列出权限范围内企业的绑定申请（默认只列待审核的），先到先审。"""
    secret = settings.signing_secret
    rows = binding.list_requests(session, principal, status=status, after_id=decode_cursor_id(cursor, secret),
                                 limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"id": row.request.id})
    return BindingRequestPage(items=[views.request_read(r, principal) for r in page.rows], next_cursor=page.next_cursor)


@router.post("/binding-requests/{request_id}/approve", response_model=BindingRequestRead,
             responses=problem_responses(403, 404, 409))
def approve_binding_request(request_id: IdPath, session: SessionDep, principal: AdminDep, now: NowDep,
                            data: BindingDecision | None = None) -> BindingRequestRead:
    """批准绑定申请：申请人随即绑定到该企业。"""
    row = binding.decide(session, principal, request_id, approve=True, reason=data.reason if data else None, now=now)
    return views.request_read(row, principal)


@router.post("/binding-requests/{request_id}/reject", response_model=BindingRequestRead,
             responses=problem_responses(403, 404, 409))
def reject_binding_request(request_id: IdPath, session: SessionDep, principal: AdminDep, now: NowDep,
                           data: BindingDecision | None = None) -> BindingRequestRead:
    """驳回绑定申请（可附理由，申请人在 /me 中可见）。"""
    row = binding.decide(session, principal, request_id, approve=False, reason=data.reason if data else None,
                         now=now)
    return views.request_read(row, principal)
