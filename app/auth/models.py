from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class User(SQLModel, table=True):
    """A liaison or admin of a unit. Enterprise users live in their own table (mini-program sign-in)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    mobile: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    unit_id: int = Field(foreign_key="unit.id", index=True)
    dingtalk_userid: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), nullable=True, unique=True)
    )
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=utc_column())


class ApiKey(SQLModel, table=True):
    """A bearer key `zq_…`. Only its SHA-256 is stored; the key itself is shown once at creation."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    prefix: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    unit_id: int = Field(foreign_key="unit.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    created_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
