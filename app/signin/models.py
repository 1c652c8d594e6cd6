"""Browser sessions of the pages and the used one-time link tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class PageSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is stored, so a copy of this table
    opens no session. Rows are re-checked on every request (user still active, API key not revoked), and
    logout revokes the row, not just the cookie."""

    __tablename__ = "page_session"

    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))  # sha256(cookie value), hex
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # dingtalk | link | api_key
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    unit_id: int = Field(foreign_key="unit.id")
    read_only: bool = False  # a group link bound to a unit, not a person: may look, may not act
    # Appeal numbers this session may open; NULL = the principal's whole reach (DingTalk or API-key sign-in).
    scope: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PageLinkToken(SQLModel, table=True):
    """A link token that has been used. Tokens are self-contained (HMAC-signed); a row is written when one is
    redeemed, and the primary key on `jti` makes the second redemption fail, however many requests race."""

    __tablename__ = "page_link_token"

    jti: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    appeal_number: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    unit_id: int = Field(foreign_key="unit.id")
    expires_at: datetime = Field(sa_column=utc_column(index=True))
    used_at: datetime = Field(sa_column=utc_column())
