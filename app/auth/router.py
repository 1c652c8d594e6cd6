from __future__ import annotations

from fastapi import APIRouter

from app.auth import service
from app.auth.deps import AdminDep
from app.auth.models import User
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, UserCreate, UserPage, UserRead, UserUpdate
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.validation import IdPath
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises.pii import mask_mobile
from app.enums import Role
from app.errors import problem_responses
from app.units.models import Unit

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def to_read(user: User, unit: Unit) -> UserRead:
    return UserRead(id=user.id, name=user.name, mobile=mask_mobile(user.mobile) if user.mobile else None,  # type: ignore[arg-type]
                    role=Role(user.role), unit_code=unit.code, dingtalk_userid=user.dingtalk_userid,
                    active=user.active, created_at=user.created_at)


@router.post("", status_code=201, response_model=UserRead, responses=problem_responses(403, 409))
def create_user(data: UserCreate, session: SessionDep, principal: AdminDep, now: NowDep) -> UserRead:
    """登记服务专员或管理员（含钉钉 userId 绑定）。"""
    user = service.create_user(session, principal, data, now=now)
    return to_read(user, service.get_user_in_reach(session, principal, user.id)[1])  # type: ignore[arg-type]


@router.get("", response_model=UserPage, responses=problem_responses(403))
def list_users(session: SessionDep, principal: AdminDep, settings: SettingsDep,
               limit: LimitQuery = 50, cursor: CursorQuery = None) -> UserPage:
    """列出权限范围内的用户。"""
    secret = settings.signing_secret
    after = decode_cursor_id(cursor, secret)
    rows = service.list_users(session, principal, after_id=after,
                              limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"id": row[0].id})
    return UserPage(items=[to_read(u, unit) for u, unit in page.rows], next_cursor=page.next_cursor)


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(403))
def get_user(user_id: IdPath, session: SessionDep, principal: AdminDep) -> UserRead:
    """读取一个用户。"""
    return to_read(*service.get_user_in_reach(session, principal, user_id))


@router.patch("/{user_id}", response_model=UserRead, responses=problem_responses(403, 409))
def update_user(user_id: IdPath, data: UserUpdate, session: SessionDep, principal: AdminDep) -> UserRead:
    """修改用户，例如绑定钉钉 userId 或停用。"""
    return to_read(*service.update_user(session, principal, user_id, data))


@router.post("/{user_id}/api-keys", status_code=201, response_model=ApiKeyCreated,
             responses=problem_responses(403))
def create_api_key(user_id: IdPath, session: SessionDep, principal: AdminDep, now: NowDep,
                   data: ApiKeyCreate | None = None) -> ApiKeyCreated:
    """为用户签发 API key；明文只返回这一次。"""
    key, token = service.create_user_api_key(session, principal, user_id, name=data.name if data else None, now=now)
    unit = session.get(Unit, key.unit_id)
    return ApiKeyCreated(id=key.id, key=token, prefix=key.prefix, name=key.name, role=Role(key.role),  # type: ignore[arg-type]
                         unit_code=unit.code, created_at=key.created_at)  # type: ignore[union-attr]
