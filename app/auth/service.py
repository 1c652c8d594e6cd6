"""API keys, staff users and reach. Keys are random 256-bit tokens, so a plain SHA-256 is enough at rest."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from app.auth.models import ApiKey, User
from app.auth.principal import ROLE_TIER, Principal
from app.auth.schemas import UserCreate, UserUpdate
from app.core import refcache
from app.enums import Role, Tier
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from app.units import service as units
from app.units.models import Unit

API_KEY_PREFIX = "zq_"
ASSIGNABLE_ROLES = (Role.city_admin, Role.district_admin, Role.street_admin, Role.liaison, Role.system)
# A principal is cached per key for a few seconds (app.core.refcache); any change to keys, users or units clears it
# (app.auth.handlers registers these tables with the cache at start).
CACHED_TABLES = ("api_key", "app_user", "unit")


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role_fits_unit(role: Role, unit: Unit, field: str) -> None:
    wanted = ROLE_TIER.get(role)
    if wanted is not None and unit.tier != wanted:
        raise InvalidInput.field(field, f"角色 {role} 只能绑定 {wanted} 级单位，{unit.code} 是 {unit.tier} 级")


def create_api_key(
    session: Session,
    *,
    role: Role,
    unit_code: str,
    name: str | None,
    now: datetime,
    user_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Returns the stored key row and the plaintext key, which is never stored or shown again."""
    if role not in ASSIGNABLE_ROLES:
        raise InvalidInput.field("role", f"不能为角色 {role} 创建 API key")
    unit = units.get_by_code(session, unit_code)
    if unit is None:
        raise InvalidInput.field("unit", f"单位 {unit_code} 不存在")
    _check_role_fits_unit(role, unit, "role")
    token = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        key_hash=hash_key(token),
        prefix=token[:10],
        name=name or f"{role}@{unit.code}",
        role=role,
        unit_id=unit.id,  # type: ignore[arg-type]
        user_id=user_id,
        created_at=now,
    )
    session.add(key)
    session.commit()
    return key, token


# What create_api_key issues: the prefix and 32 random bytes in URL-safe base64. Anything else is refused unread.
_KEY_SHAPE = re.compile(r"zq_[A-Za-z0-9_-]{43}")
_INVALID_KEY = "API key 无效或已吊销"


def authenticate_api_key(session: Session, token: str) -> Principal:
    if not _KEY_SHAPE.fullmatch(token):
        raise Unauthenticated(_INVALID_KEY)
    cache_key = ("api_key", hash_key(token))
    generation = refcache.generation(session)
    try:
        return refcache.cached(session, cache_key, lambda: _principal_for_key(session, cache_key[1]))
    except Unauthenticated as exc:
        refcache.refuse(session, cache_key, exc.detail or _INVALID_KEY, generation=generation)
        raise


def cached_api_key_principal(session: Session, token: str) -> Principal | None:
    """The principal of a key authenticated moments ago in this process, without touching the database; raises
    Unauthenticated for a malformed key and for one refused moments ago (an invented key costs one query per
    ZHUQI_CACHE_SECONDS and process, however often it is sent). None: not seen lately, ask the database."""
    if not _KEY_SHAPE.fullmatch(token):
        raise Unauthenticated(_INVALID_KEY)
    cache_key = ("api_key", hash_key(token))
    reason = refcache.refusal(session, cache_key)
    if reason is not None:
        raise Unauthenticated(reason)
    return refcache.peek(session, cache_key)  # type: ignore[no-any-return]


def _principal_for_key(session: Session, key_hash: str) -> Principal:
    row = session.exec(
        select(ApiKey, Unit, User)  # one round trip: every request pays for it
        .join(Unit, col(Unit.id) == ApiKey.unit_id)
        .outerjoin(User, col(User.id) == ApiKey.user_id)
        .where(ApiKey.key_hash == key_hash)
    ).first()
    if row is None or row[0].revoked_at is not None:
        raise Unauthenticated(_INVALID_KEY)
    key, unit, user = row
    if user is not None and not user.active:
        raise Unauthenticated("API key 所属单位或用户已停用")
    label = f"{user.name}（{unit.name}）" if user else f"{key.name}（{unit.name}）"
    return Principal(
        role=Role(key.role),
        label=label,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_path=unit.path,
        unit_tier=Tier(unit.tier),
        user_id=user.id if user else None,
        key_id=key.id,
    )


def principal_for_user(session: Session, user: User) -> Principal:
    unit = session.get(Unit, user.unit_id)
    assert unit is not None
    return Principal(
        role=Role(user.role),
        label=f"{user.name}（{unit.name}）",
        unit_id=unit.id,
        unit_code=unit.code,
        unit_path=unit.path,
        unit_tier=Tier(unit.tier),
        user_id=user.id,
    )


def reach_unit_ids(session: Session, principal: Principal) -> list[int] | None:
    """Unit ids a staff principal reaches; None means the whole city (no filter needed)."""
    if principal.unit_path is None:
        return []
    if principal.unit_path.count("/") == 2:  # "/330100/": the root
        return None
    return list(session.exec(select(Unit.id).where(col(Unit.path).startswith(principal.unit_path))).all())


def _require_admin_over(principal: Principal, unit: Unit, field: str) -> None:
    if not principal.is_admin:
        raise Forbidden("只有管理员可以管理用户")
    if not principal.reaches_path(unit.path):
        raise InvalidInput.field(field, f"单位 {unit.code} 不存在或不在您的权限范围内")


def create_user(session: Session, principal: Principal, data: UserCreate, *, now: datetime) -> User:
    unit = units.get_by_code(session, data.unit_code)
    if unit is None:
        raise InvalidInput.field("body.unit_code", f"单位 {data.unit_code} 不存在")
    _require_admin_over(principal, unit, "body.unit_code")
    _check_role_fits_unit(data.role, unit, "body.role")
    if data.dingtalk_userid and session.exec(
        select(User).where(User.dingtalk_userid == data.dingtalk_userid)
    ).first():
        raise Conflict(f"钉钉用户 {data.dingtalk_userid} 已绑定到其他用户")
    user = User(
        name=data.name,
        mobile=data.mobile,
        role=data.role,
        unit_id=unit.id,  # type: ignore[arg-type]
        dingtalk_userid=data.dingtalk_userid,
        created_at=now,
    )
    session.add(user)
    session.commit()
    return user


def get_user_in_reach(session: Session, principal: Principal, user_id: int) -> tuple[User, Unit]:
    user = session.get(User, user_id)
    unit = session.get(Unit, user.unit_id) if user else None
    if user is None or unit is None or not principal.reaches_path(unit.path):
        raise NotFound(f"用户 {user_id} 不存在或不在您的权限范围内")
    return user, unit


def update_user(session: Session, principal: Principal, user_id: int, data: UserUpdate) -> tuple[User, Unit]:
    user, unit = get_user_in_reach(session, principal, user_id)
    _require_admin_over(principal, unit, "path.user_id")
    changes = data.model_dump(exclude_unset=True)
    if changes.get("dingtalk_userid"):
        other = session.exec(select(User).where(User.dingtalk_userid == changes["dingtalk_userid"])).first()
        if other is not None and other.id != user.id:
            raise Conflict(f"钉钉用户 {changes['dingtalk_userid']} 已绑定到其他用户")
    for field, value in changes.items():
        if value is None and field in ("name", "active"):  # mobile and dingtalk_userid may be cleared
            raise InvalidInput.field(f"body.{field}", "不能为 null")
        setattr(user, field, value)
    session.add(user)
    session.commit()
    return user, unit


def list_users(session: Session, principal: Principal, *, after_id: int | None, limit: int) -> list[tuple[User, Unit]]:
    query = (
        select(User, Unit)
        .join(Unit, col(Unit.id) == User.unit_id)
        .where(col(Unit.path).startswith(principal.unit_path or "\x00"))
    )
    if after_id is not None:
        query = query.where(col(User.id) > after_id)
    return [(u, unit) for u, unit in session.exec(query.order_by(col(User.id)).limit(limit)).all()]


def create_user_api_key(
    session: Session, principal: Principal, user_id: int, *, name: str | None, now: datetime
) -> tuple[ApiKey, str]:
    user, unit = get_user_in_reach(session, principal, user_id)
    _require_admin_over(principal, unit, "path.user_id")
    return create_api_key(session, role=Role(user.role), unit_code=unit.code, name=name or user.name, now=now,
                          user_id=user.id)


def list_api_keys(session: Session) -> list[tuple[ApiKey, Unit]]:
    """Every key with its unit, oldest first (`zhuqi apikey list`); the keys themselves are never stored."""
    query = select(ApiKey, Unit).join(Unit, col(Unit.id) == ApiKey.unit_id).order_by(col(ApiKey.id))
    return [(key, unit) for key, unit in session.exec(query).all()]


def revoke_api_key(session: Session, key_id: int, *, now: datetime) -> tuple[ApiKey, bool]:
    """Revokes a key (`zhuqi apikey revoke`); False when it already was. Other processes stop accepting it within
    ZHUQI_CACHE_SECONDS (app.core.refcache)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key #{key_id} 不存在")
    if key.revoked_at is not None:
        return key, False
    key.revoked_at = now
    session.add(key)
    session.commit()
    return key, True
