"""Use cases of sign-in to the pages: DingTalk 免登, one-time chat links, API keys; who a session cookie is.

One use case, one commit, here. Read use cases end their transaction before returning (SQLite takes its write
lock per transaction), so they return plain values, never live rows. No FastAPI in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth import service as auth
from app.auth.models import ApiKey, User
from app.auth.principal import Principal
from app.enums import Role, Tier
from app.errors import Forbidden, Unauthenticated
from app.signin import tokens
from app.signin.dingtalk import DingTalkIdentity
from app.signin.models import PageLinkToken, PageSession
from app.units.models import Unit

SESSION_TTL = timedelta(hours=8)


class UnknownDingTalkUser(Forbidden):
    code = "unknown_dingtalk_user"
    title = "钉钉账号未登记"

    def __init__(self, identity: DingTalkIdentity) -> None:
        super().__init__(f"钉钉用户 {identity.userid} 未登记为服务专员或管理员")
        self.identity = identity


class LinkRefused(Unauthenticated):
    code = "link_refused"
    title = "链接无效"

    def __init__(self, reason: tokens.LinkTokenError) -> None:
        super().__init__(f"链接无效：{reason.value}")
        self.reason = reason


@dataclass(frozen=True)
class NewSession:
    cookie_value: str
    expires_at: datetime


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page, resolved from the session cookie on every request."""

    principal: Principal
    cookie_value: str
    kind: str
    read_only: bool
    scope: tuple[str, ...] | None  # appeal numbers this session may open; None = the principal's reach

    def may_open(self, number: str) -> bool:
        return self.scope is None or number in self.scope


# ---------------------------------------------------------------- sessions


def current_viewer(session: Session, cookie_value: str | None, *, now: datetime) -> Viewer | None:
    """The signed-in viewer, or None (no cookie, unknown, expired, revoked, user deactivated, key revoked)."""
    if not cookie_value or len(cookie_value) > 100:
        return None
    try:
        row = session.get(PageSession, tokens.session_key(cookie_value))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        principal = _principal_of(session, row)
        if principal is None:
            return None
        return Viewer(principal, cookie_value, row.kind, row.read_only, tuple(row.scope) if row.scope is not None else None)
    finally:
        session.rollback()


def _principal_of(session: Session, row: PageSession) -> Principal | None:
    if row.api_key_id is not None:
        return _principal_for_key(session, row.api_key_id)
    if row.user_id is not None:
        user = session.get(User, row.user_id)
        return auth.principal_for_user(session, user) if user is not None and user.active else None
    unit = session.get(Unit, row.unit_id)
    if unit is None:
        return None
    # A group link bound to a unit: sees what that unit sees, acts on nothing (Viewer.read_only).
    return Principal(role=Role.liaison, label=f"{unit.name}（群链接查看）", unit_id=unit.id, unit_code=unit.code,
                     unit_path=unit.path, unit_tier=Tier(unit.tier))


def _principal_for_key(session: Session, key_id: int) -> Principal | None:
    """As auth.authenticate_api_key, by id: a key revoked (or a user deactivated) since sign-in ends the session."""
    key = session.get(ApiKey, key_id)
    unit = session.get(Unit, key.unit_id) if key is not None else None
    if key is None or unit is None or key.revoked_at is not None:
        return None
    user = session.get(User, key.user_id) if key.user_id else None
    if user is not None and not user.active:
        return None
    label = f"{user.name}（{unit.name}）" if user else f"{key.name}（{unit.name}）"
    return Principal(role=Role(key.role), label=label, unit_id=unit.id, unit_code=unit.code, unit_path=unit.path,
                     unit_tier=Tier(unit.tier), user_id=user.id if user else None, key_id=key.id)


def _add_session(
    session: Session, *, kind: str, unit_id: int, now: datetime, user_id: int | None = None,
    api_key_id: int | None = None, read_only: bool = False, scope: list[str] | None = None,
) -> NewSession:
    cookie_value = tokens.new_session_id()
    expires_at = now + SESSION_TTL
    session.add(PageSession(id=tokens.session_key(cookie_value), kind=kind, user_id=user_id, api_key_id=api_key_id,
                            unit_id=unit_id, read_only=read_only, scope=scope, created_at=now, expires_at=expires_at))
    return NewSession(cookie_value, expires_at)


def sign_in_dingtalk(session: Session, identity: DingTalkIdentity, *, now: datetime) -> NewSession:
    """H5 免登: the DingTalk userid maps to an active liaison or admin (User.dingtalk_userid), as for the chatbot."""
    user = session.exec(select(User).where(User.dingtalk_userid == identity.userid)).first()
    if user is None or not user.active:
        session.rollback()
        raise UnknownDingTalkUser(identity)
    new = _add_session(session, kind="dingtalk", user_id=user.id, unit_id=user.unit_id, now=now)
    session.commit()
    return new


def sign_in_api_key(session: Session, api_key: str, *, now: datetime) -> NewSession:
    """An admin's `zq_…` key, used once to get a cookie session. The key itself is never stored in the session."""
    if not api_key.startswith(auth.API_KEY_PREFIX) or len(api_key) > 200:
        raise Unauthenticated("API key 格式不正确（应以 zq_ 开头）")
    principal = auth.authenticate_api_key(session, api_key)
    if principal.role == Role.system:
        session.rollback()
        raise Forbidden("系统密钥用于脚本，不能用于网页登录")
    new = _add_session(session, kind="api_key", user_id=principal.user_id, api_key_id=principal.key_id,
                       unit_id=principal.unit_id, now=now)  # type: ignore[arg-type]
    session.commit()
    return new


def redeem_link(
    session: Session, *, secret: str, token: str, number: str, now: datetime, current: Viewer | None
) -> NewSession | None:
    """A one-time link token from a chat message → a session for that appeal. Returns None when the current
    session was extended to the appeal instead (same person, or a person opening a group link)."""
    try:
        claims = tokens.read_link_token(secret, token, number=number, now=now)
    except tokens.InvalidLinkToken as exc:
        raise LinkRefused(exc.reason) from None
    user = session.get(User, claims.user_id) if claims.user_id is not None else None
    if session.get(Unit, claims.unit_id) is None or (claims.user_id is not None and (user is None or not user.active)):
        session.rollback()
        raise LinkRefused(tokens.LinkTokenError.bad_signature)
    session.add(PageLinkToken(jti=claims.jti, appeal_number=number, user_id=claims.user_id, unit_id=claims.unit_id,
                              expires_at=claims.expires_at, used_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise LinkRefused(tokens.LinkTokenError.used) from None
    existing = _session_to_extend(session, claims, current)
    if existing is not None:
        if existing.scope is not None and number not in existing.scope:
            existing.scope = [*existing.scope, number][-50:]
            session.add(existing)
        session.commit()
        return None
    new = _add_session(session, kind="link", user_id=claims.user_id, unit_id=claims.unit_id,
                       read_only=claims.user_id is None, scope=[number], now=now)
    session.commit()
    return new


def _session_to_extend(session: Session, claims: tokens.LinkClaims, current: Viewer | None) -> PageSession | None:
    if current is None:
        return None
    same_person = claims.user_id is not None and current.principal.user_id == claims.user_id
    person_opens_group_link = claims.user_id is None and not current.read_only
    same_unit_viewer = claims.user_id is None and current.read_only and current.principal.unit_id == claims.unit_id
    if not (same_person or person_opens_group_link or same_unit_viewer):
        return None
    return session.get(PageSession, tokens.session_key(current.cookie_value))


def sign_out(session: Session, cookie_value: str | None, *, now: datetime) -> None:
    row = session.get(PageSession, tokens.session_key(cookie_value)) if cookie_value else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
    session.commit()
