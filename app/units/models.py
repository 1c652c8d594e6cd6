from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Unit(SQLModel, table=True):
    """A node of the city → district → street tree, or a department hanging under an area unit."""

    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    tier: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # Materialised path of codes ("/330100/330106/330106012/"): subtree = path prefix, no recursive query.
    path: str = Field(sa_column=sa.Column(sa.String(400), nullable=False, index=True))
    created_at: datetime = Field(sa_column=utc_column())
