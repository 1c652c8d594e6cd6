"""Bearer authentication. API keys (`zq_…`) for staff and scripts; enterprise tokens come from sign-in."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.principal import Principal
from app.core.logging import bind_principal
from app.db import release
from app.deps import SessionDep
from app.errors import Forbidden, Unauthenticated

# Documents the bearer scheme in OpenAPI; the header itself is parsed by _bearer below (401, not 403).
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="zq_… API key, or an access token from /api/v1/auth/*",
    description="单位工作人员与脚本使用 API key（zq_…）；企业用户使用小程序登录得到的 access_token。",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("缺少 Authorization: Bearer 凭据")
    return token.strip()


def bearer_token(request: Request) -> str:
    return _bearer(request)


async def get_any_principal(request: Request, session: SessionDep, _: Credentials) -> Principal:
    """Any authenticated caller, including an enterprise user not yet bound to an enterprise. An API key seen
    moments ago — accepted or refused — is answered from the process cache on the event loop, with no thread and
    no connection; anything else is read in the thread pool, where the connection is also given back (see
    `_authenticate`). Concurrent requests with the same uncached key share one read (`_in_flight`)."""
    token = _bearer(request)
    principal = service.cached_api_key_principal(session, token) if token.startswith(service.API_KEY_PREFIX) \
        else None
    if principal is None:
        principal = await _authenticate_once(request, session, token)
    bind_principal(principal.role, principal.unit_code)  # the access log names who asked
    return principal


# Uncached tokens being read right now, per event loop (one per API process): a burst of 200 requests with one
# new key — valid or invented — makes one query, not 200 thread hops queueing for connections.
_in_flight: dict[tuple[int, str], asyncio.Future[Principal]] = {}


async def _authenticate_once(request: Request, session: Session, token: str) -> Principal:
    loop = asyncio.get_running_loop()
    flight = (id(loop), token)  # futures belong to their loop (tests run several apps in one process)
    while (pending := _in_flight.get(flight)) is not None:
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled():
                raise  # this request was cancelled
            # the request reading it was cancelled: read it ourselves
    pending = loop.create_future()
    _in_flight[flight] = pending
    try:
        principal = await run_in_threadpool(_authenticate, request, session, token)
    except BaseException as exc:
        if not isinstance(exc, asyncio.CancelledError):
            pending.set_exception(exc)
        else:
            pending.cancel()
        raise
    else:
        pending.set_result(principal)
        return principal
    finally:
        del _in_flight[flight]
        if pending.done() and not pending.cancelled():
            pending.exception()  # retrieved: no "exception was never retrieved" when nobody else waited


def _authenticate(request: Request, session: Session, token: str) -> Principal:
    try:
        if token.startswith(service.API_KEY_PREFIX):
            return service.authenticate_api_key(session, token)
        token_auth = getattr(request.app.state, "token_authenticator", None)
        if token_auth is None:
            raise Unauthenticated("凭据无效")
        principal: Principal = token_auth(session, token)
        return principal
    finally:
        # In this thread, on both databases: the request must not hold a connection while it waits for the next
        # thread (the route's). SQLite also holds its write lock per transaction.
        release(session)


async def get_principal(principal: Annotated[Principal, Depends(get_any_principal)]) -> Principal:
    """An authenticated caller who may use the service: enterprise users must be bound to an enterprise first
    (until then only /me, binding and sign-in routes are open to them)."""
    if principal.is_enterprise and principal.enterprise_id is None:
        raise Forbidden("请先绑定企业（企业用户需先绑定所属企业才能使用此功能）")
    return principal


async def require_staff(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_staff:
        raise Forbidden("此接口仅供单位管理员、服务专员使用")
    return principal


async def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("此接口仅供单位管理员使用")
    return principal


AnyPrincipalDep = Annotated[Principal, Depends(get_any_principal)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]
AdminDep = Annotated[Principal, Depends(require_admin)]
