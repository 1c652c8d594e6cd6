from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprise"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=sa.Column(sa.String(18), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    street_unit_id: int = Field(foreign_key="unit.id", index=True)
    address: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    contact_name: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    contact_mobile: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    # The current primary liaison (结对), kept equal to the open row of `pairing` by the pairing service: the
    # reach checks read this column; the history lives in `pairing`.
    liaison_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # Facts for policy matching and the programme's reports (DESIGN §11), all optional.
    industry: str | None = Field(default=None, sa_column=sa.Column(sa.String(3), nullable=True, index=True))
    scale: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    employees: int | None = None
    key_level: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
