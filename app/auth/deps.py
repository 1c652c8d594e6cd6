"""Bearer authentication. API keys (`zq_…`) for staff and scripts; enterprise tokens come from sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import service
from app.auth.principal import Principal
from app.db import is_postgres
from app.deps import SessionDep
from app.errors import Forbidden, Unauthenticated


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("缺少 Authorization: Bearer 凭据")
    return token.strip()


def get_principal(request: Request, session: SessionDep) -> Principal:
    token = _bearer(request)
    if token.startswith(service.API_KEY_PREFIX):
        principal = service.authenticate_api_key(session, token)
    else:
        token_auth = getattr(request.app.state, "token_authenticator", None)
        if token_auth is None:
            raise Unauthenticated("凭据无效")
        principal = token_auth(session, token)
    if not is_postgres(session):
        session.rollback()  # end the read transaction: SQLite holds its write lock per transaction
    return principal


def require_staff(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_staff:
        raise Forbidden("此接口仅供单位管理员、服务专员使用")
    return principal


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("此接口仅供单位管理员使用")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]
AdminDep = Annotated[Principal, Depends(require_admin)]
