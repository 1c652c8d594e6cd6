"""Enterprise users (mini-program sign-in), their sign-in sessions, invitations, binding requests and the
per-user daily counters. Tables only; the API shapes live in schemas.py."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Provider(StrEnum):
    wechat = "wechat"
    dingtalk = "dingtalk"


class BindingStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    cancelled = "cancelled"  # the user bound with an invitation code meanwhile


class EnterpriseUser(SQLModel, table=True):
    """A person signed in from a mini-program. `subject` is the WeChat openid or the DingTalk userid.

    `session_key` (WeChat) stays on the server: it is never part of any response or log line."""

    __tablename__ = "enterprise_user"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    unionid: str | None = Field(default=None, sa_column=sa.Column(sa.String(128), nullable=True, index=True))
    session_key: str | None = Field(default=None, sa_column=sa.Column(sa.String(128), nullable=True))
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(50), nullable=True))
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    bound_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=utc_column())
    last_login_at: datetime = Field(sa_column=utc_column())


class AuthSession(SQLModel, table=True):
    """One sign-in. The tokens carry `sid` and a `jti`; only the jtis stored here are valid, so a refresh
    (rotation) retires the previous pair and logout (revoked_at) retires the session."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_user_id: int = Field(foreign_key="enterprise_user.id", index=True)
    access_jti: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    refresh_jti: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=utc_column())
    refreshed_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())  # when the refresh token runs out
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(30), nullable=True))


class EnterpriseInvitation(SQLModel, table=True):
    """A single-use code a street admin gives an enterprise's staff. Only a keyed hash is stored."""

    __tablename__ = "enterprise_invitation"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_by: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    created_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    used_by_enterprise_user_id: int | None = Field(default=None, foreign_key="enterprise_user.id")


class BindingRequest(SQLModel, table=True):
    """A request to be bound to an enterprise without an invitation; the street's admin decides."""

    __tablename__ = "binding_request"
    __table_args__ = (sa.Index("ix_binding_request_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    enterprise_user_id: int = Field(foreign_key="enterprise_user.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    applicant_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(50), nullable=True))
    applicant_mobile: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    decided_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    decided_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


class UsageCounter(SQLModel, table=True):
    """How often a caller did something on one Shanghai day (e.g. appeals filed); for daily limits."""

    __tablename__ = "usage_counter"

    scope: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    subject: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    count: int = Field(default=0)
