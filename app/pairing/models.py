from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Pairing(SQLModel, table=True):
    """One period during which a cadre was an enterprise's primary liaison. Rows are never overwritten: ending a
    pairing sets `ended_at`; a new pairing is a new row. At most one open row per enterprise."""

    __tablename__ = "pairing"
    __table_args__ = (
        sa.Index("ix_pairing_enterprise_id_started_at", "enterprise_id", "started_at"),
        sa.Index("ix_pairing_user_id_started_at", "user_id", "started_at"),
        # The database, not the service, guarantees one current liaison per enterprise (two admins racing).
        sa.Index("uq_pairing_open_enterprise", "enterprise_id", unique=True,
                 postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    user_id: int = Field(foreign_key="app_user.id")
    # The cadre's dispatching unit (派出单位) when the pairing began: figures count liaisons under it even if the
    # user later moves.
    unit_id: int = Field(foreign_key="unit.id", index=True)
    note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    started_at: datetime = Field(sa_column=utc_column())
    started_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))  # display label of the admin
    started_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ended_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    ended_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class Building(SQLModel, table=True):
    """A building a street looks after (街道包干楼宇); its manager (楼长) reaches every enterprise in it."""

    __tablename__ = "building"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    street_unit_id: int = Field(foreign_key="unit.id", index=True)
    address: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    manager_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
