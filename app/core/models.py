from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class IdempotencyRecord(SQLModel, table=True):
    """First response to a creating POST, keyed per caller, replayed for the same key (24 h)."""

    __tablename__ = "idempotency_record"

    caller: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    key: str = Field(sa_column=sa.Column(sa.String(255), primary_key=True))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    response_status: int
    response_body: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(index=True))
