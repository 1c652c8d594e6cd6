"""Signing in to the pages (/m/session/…): DingTalk 免登, an admin's API key, signing out; the sign-in page itself
(mobile, or the desktop one for the dashboard) and the session's CSRF tokens, which both sites' forms carry.

HTML, not part of the API contract (include_in_schema=False). Every POST carries a CSRF token: bound to the
session (HMAC of the session id), or before sign-in to a pre-session nonce cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import vendors
from app.config import Settings
from app.deps import NowDep, SessionDep, SettingsDep, waits_on_vendor
from app.errors import AppError, Forbidden
from app.pages import web
from app.signin import dingtalk, service, tokens
from app.signin.deps import ViewerDep
from app.signin.dingtalk import BadAuthCode, DingTalkError, DingTalkNotConfigured
from app.signin.service import UnknownDingTalkUser, Viewer

router = APIRouter(include_in_schema=False)
FormField = Annotated[str | None, Form()]


def session_csrf(settings: Settings, viewer: Viewer) -> str:
    return tokens.csrf_token(settings.signing_secret, "s:" + viewer.cookie_value)


def session_csrf_ok(settings: Settings, viewer: Viewer, token: str | None) -> bool:
    """A form posted by this session's own page (the token `session_csrf` put in it)."""
    return tokens.check_csrf(settings.signing_secret, "s:" + viewer.cookie_value, token)


def _pre_ok(request: Request, settings: Settings, csrf: str | None) -> bool:
    nonce = request.cookies.get(web.PRE_COOKIE)
    return tokens.check_csrf(settings.signing_secret, "pre:" + nonce if nonce else None, csrf)


def notice(request: Request, title: str, message: str, *, status_code: int, lines: tuple[str, ...] = ()) -> Response:
    return web.page(request, "m/notice.html", {"title": title, "message": message, "lines": lines},
                    status_code=status_code)


def signin(request: Request, settings: Settings, *, next_path: str, message: str | None = None,
           status_code: int = 401, title: str | None = None, viewer: Viewer | None = None) -> Response:
    """The sign-in page: the mobile one, or the desktop one when the next page is the dashboard."""
    nonce = request.cookies.get(web.PRE_COOKIE) or tokens.new_nonce()
    target = tokens.safe_next(next_path)
    template = "dash/signin.html" if target.startswith("/dashboard") else "m/signin.html"
    response = web.page(request, template, {
        "next": target, "message": message, "title": title,
        "viewer_label": viewer.principal.label if viewer else None,
        "logout_csrf": session_csrf(settings, viewer) if viewer else None,
        "csrf": tokens.csrf_token(settings.signing_secret, "pre:" + nonce),
        "dingtalk": bool(settings.dingtalk_corp_id and settings.dingtalk_app_key),
        "corp_id": settings.dingtalk_corp_id, "client_id": settings.dingtalk_app_key,
    }, status_code=status_code)
    if request.cookies.get(web.PRE_COOKIE) != nonce:
        web.set_pre_cookie(response, nonce, settings)
    return response


@router.post("/m/session/dingtalk", response_class=HTMLResponse)
@waits_on_vendor
def sign_in_dingtalk(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep,
                     code: FormField = None, csrf: FormField = None, next: FormField = None) -> Response:
    target = tokens.safe_next(next)
    if not _pre_ok(request, settings, csrf):
        return signin(request, settings, next_path=target, message="页面已过期，请重新打开。", status_code=403)
    try:
        if not code or len(code) > 128:
            raise BadAuthCode("钉钉登录码缺失")
        identity = dingtalk.identify(vendors.from_app_state(request.app.state), code, now=now)
        new = service.sign_in_dingtalk(session, identity, now=now)
    except UnknownDingTalkUser as exc:
        who = exc.identity.name or "您"
        return notice(request, "钉钉账号未登记", f"{who}的钉钉账号还没有登记为服务专员或管理员，暂时不能查看诉求。",
                      lines=(f"您的钉钉 userId：{exc.identity.userid}",
                             "请把这个 userId 发给本单位管理员，请其在助企系统中为您登记（用户的 dingtalk_userid）。"),
                      status_code=403)
    except DingTalkError as exc:
        status = 401 if isinstance(exc, BadAuthCode) else 503 if isinstance(exc, DingTalkNotConfigured) else 502
        return signin(request, settings, next_path=target, message=exc.message, status_code=status)
    response = web.redirect(target)
    web.set_session_cookie(response, new.cookie_value, expires_at=new.expires_at, now=now, settings=settings)
    return response


@router.post("/m/session/api-key", response_class=HTMLResponse)
def sign_in_api_key(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep,
                    api_key: FormField = None, csrf: FormField = None, next: FormField = None) -> Response:
    target = tokens.safe_next(next)
    if not _pre_ok(request, settings, csrf):
        return signin(request, settings, next_path=target, message="页面已过期，请重新打开。", status_code=403)
    try:
        new = service.sign_in_api_key(session, (api_key or "").strip(), now=now)
    except AppError as exc:
        status = 403 if isinstance(exc, Forbidden) else 401
        return signin(request, settings, next_path=target, message=exc.detail or exc.title, status_code=status)
    response = web.redirect(target)
    web.set_session_cookie(response, new.cookie_value, expires_at=new.expires_at, now=now, settings=settings)
    return response


@router.post("/m/session/logout", response_class=HTMLResponse)
def sign_out(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, viewer: ViewerDep,
             csrf: FormField = None) -> Response:
    if viewer is not None and not session_csrf_ok(settings, viewer, csrf):
        return notice(request, "页面已过期", "CSRF 校验失败，未退出。请返回刷新后重试。", status_code=403)
    service.sign_out(session, viewer.cookie_value if viewer else None, now=now)
    response = notice(request, "已退出", "您已退出登录。", status_code=200)
    web.clear_session_cookie(response, settings)
    return response
