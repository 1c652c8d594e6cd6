from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class ProblemGroup(SQLModel, table=True):
    """A common (共性) or institutional (体制机制性) problem: many appeals, one cause, handled once at one unit."""

    __tablename__ = "problem_group"
    __table_args__ = (sa.Index("ix_problem_group_kind_id", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))  # common | institutional
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    unit_id: int = Field(foreign_key="unit.id", index=True)  # assigned unit (usually a district or city 专班)
    status: str = Field(default="open", sa_column=sa.Column(sa.String(20), nullable=False))  # open | resolved
    created_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    resolution_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(30), nullable=True))
    public_reply: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class ProblemGroupAppeal(SQLModel, table=True):
    """Link of an appeal to its group. An appeal belongs to at most one group (the primary key)."""

    __tablename__ = "problem_group_appeal"

    appeal_id: int = Field(foreign_key="appeal.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    group_id: int = Field(foreign_key="problem_group.id", index=True)
    linked_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    linked_at: datetime = Field(sa_column=utc_column())
