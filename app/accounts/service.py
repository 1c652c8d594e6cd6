"""Enterprise sign-in sessions: sign in with a vendor identity, authenticate a bearer token, refresh
(rotate), log out (revoke). One use case, one transaction, committed here. Never imports FastAPI or httpx:
the vendor call happens before, in the edge (vendors.py), and its result comes in as a VendorIdentity."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from app.accounts import tokens
from app.accounts.models import AuthSession, EnterpriseUser
from app.accounts.tokens import Claims, TokenError, TokenKind
from app.accounts.vendors import VendorIdentity
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enums import Role
from app.errors import Forbidden, Unauthenticated

ACCESS_TTL = timedelta(hours=2)
REFRESH_TTL = timedelta(days=30)
UNBOUND_LABEL = "企业用户"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: EnterpriseUser


def _key(secret: str) -> bytes:
    return tokens.derive_key(secret)


def _new_jti() -> str:
    return secrets.token_hex(16)


def _issue(row: AuthSession, user_id: int, *, secret: str, now: datetime) -> tuple[str, str]:
    key, session_id = _key(secret), row.id
    assert session_id is not None
    access = tokens.sign(Claims(user_id, session_id, row.access_jti, TokenKind.access, now, now + ACCESS_TTL), key)
    refresh = tokens.sign(Claims(user_id, session_id, row.refresh_jti, TokenKind.refresh, now, row.expires_at), key)
    return access, refresh


def _find_user(session: Session, identity: VendorIdentity) -> EnterpriseUser | None:
    return session.exec(
        select(EnterpriseUser).where(EnterpriseUser.provider == identity.provider,
                                     EnterpriseUser.subject == identity.subject)
    ).first()


def _upsert_user(session: Session, identity: VendorIdentity, *, now: datetime) -> EnterpriseUser:
    user = _find_user(session, identity)
    if user is None:
        user = EnterpriseUser(provider=identity.provider, subject=identity.subject, created_at=now, last_login_at=now)
        try:
            with session.begin_nested():  # a concurrent first sign-in of the same person wins the unique key
                session.add(user)
                session.flush()
        except IntegrityError:
            user = _find_user(session, identity)
            assert user is not None
    user.unionid = identity.unionid or user.unionid
    user.session_key = identity.session_key or user.session_key
    user.display_name = identity.display_name or user.display_name
    user.last_login_at = now
    session.add(user)
    return user


def sign_in(session: Session, identity: VendorIdentity, *, secret: str, now: datetime) -> IssuedTokens:
    """First sign-in creates an enterprise user not yet bound to any enterprise."""
    user = _upsert_user(session, identity, now=now)
    if not user.active:
        session.rollback()
        raise Forbidden("该账号已停用，请联系属地街道")
    row = AuthSession(enterprise_user_id=user.id, access_jti=_new_jti(), refresh_jti=_new_jti(),  # type: ignore[arg-type]
                      created_at=now, refreshed_at=now, expires_at=now + REFRESH_TTL)
    session.add(row)
    session.flush()
    access, refresh = _issue(row, user.id, secret=secret, now=now)  # type: ignore[arg-type]
    session.commit()
    return IssuedTokens(access, refresh, int(ACCESS_TTL.total_seconds()), int(REFRESH_TTL.total_seconds()), user)


def _verified(token: str, kind: TokenKind, *, secret: str, now: datetime) -> Claims:
    try:
        return tokens.verify(token, _key(secret), kind=kind, now=now)
    except TokenError as exc:
        raise Unauthenticated(str(exc)) from None


def _live_session(session: Session, claims: Claims) -> AuthSession:
    row = session.get(AuthSession, claims.session_id)
    if row is None or row.revoked_at is not None or row.enterprise_user_id != claims.enterprise_user_id:
        raise Unauthenticated("登录已失效，请重新登录")
    return row


def principal_for(session: Session, user: EnterpriseUser) -> Principal:
    enterprise = session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    return Principal(
        role=Role.enterprise,
        label=enterprise.name if enterprise else UNBOUND_LABEL,
        enterprise_user_id=user.id,
        enterprise_id=enterprise.id if enterprise else None,
    )


def authenticate(session: Session, token: str, *, secret: str, now: datetime) -> Principal:
    claims = _verified(token, TokenKind.access, secret=secret, now=now)
    row = _live_session(session, claims)
    if row.access_jti != claims.jti:
        raise Unauthenticated("凭据已被刷新替换，请使用新的 access_token")
    user = session.get(EnterpriseUser, claims.enterprise_user_id)
    if user is None or not user.active:
        raise Unauthenticated("账号已停用")
    return principal_for(session, user)


def refresh(session: Session, refresh_token: str, *, secret: str, now: datetime) -> IssuedTokens:
    """Rotates both tokens. A refresh token that was already rotated away ends the whole session (it may have
    been stolen: whoever holds the newer one is logged out too, and must sign in again)."""
    claims = _verified(refresh_token, TokenKind.refresh, secret=secret, now=now)
    row = _live_session(session, claims)
    if row.refresh_jti != claims.jti:
        row.revoked_at, row.revoked_reason = now, "refresh_reuse"
        session.add(row)
        session.commit()
        raise Unauthenticated("刷新凭据已使用过，为安全起见本次登录已失效，请重新登录")
    user = session.get(EnterpriseUser, claims.enterprise_user_id)
    if user is None or not user.active:
        raise Unauthenticated("账号已停用")
    access_jti, refresh_jti = _new_jti(), _new_jti()
    result = session.exec(
        update(AuthSession)
        .where(col(AuthSession.id) == row.id, col(AuthSession.refresh_jti) == claims.jti,
               col(AuthSession.revoked_at).is_(None))
        .values(access_jti=access_jti, refresh_jti=refresh_jti, refreshed_at=now, expires_at=now + REFRESH_TTL)
    )
    if result.rowcount != 1:  # a concurrent refresh with the same token won
        session.rollback()
        raise Unauthenticated("刷新凭据已使用过，请使用最新的凭据")
    row.access_jti, row.refresh_jti, row.expires_at = access_jti, refresh_jti, now + REFRESH_TTL
    access, new_refresh = _issue(row, user.id, secret=secret, now=now)  # type: ignore[arg-type]
    session.commit()
    return IssuedTokens(access, new_refresh, int(ACCESS_TTL.total_seconds()), int(REFRESH_TTL.total_seconds()),
                        user)


def logout(session: Session, principal: Principal, access_token: str, *, secret: str, now: datetime) -> None:
    if not principal.is_enterprise:
        raise Forbidden("API key 不能注销；请由管理员吊销")
    claims = _verified(access_token, TokenKind.access, secret=secret, now=now)
    row = _live_session(session, claims)
    row.revoked_at, row.revoked_reason = now, "logout"
    session.add(row)
    session.commit()


def get_user(session: Session, principal: Principal) -> EnterpriseUser:
    if not principal.is_enterprise or principal.enterprise_user_id is None:
        raise Forbidden("此接口仅供企业用户使用")
    user = session.get(EnterpriseUser, principal.enterprise_user_id)
    if user is None:
        raise Unauthenticated("账号不存在")
    return user


class _AppState(Protocol):
    settings: Any
    clock: Any


class TokenAuthenticator:
    """Installed as app.state.token_authenticator; reads the settings and the injected clock at call time."""

    def __init__(self, state: _AppState) -> None:
        self.state = state

    def __call__(self, session: Session, token: str) -> Principal:
        return authenticate(session, token, secret=self.state.settings.signing_secret,
                            now=self.state.clock())
