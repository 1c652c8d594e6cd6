from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class SlaPolicyRecord(SQLModel, table=True):
    """One version of the SLA policy for an urgency. Rows are never edited: an edit adds the next version,
    and each appeal records the version its deadlines came from."""

    __tablename__ = "sla_policy"
    __table_args__ = (sa.UniqueConstraint("urgency", "version", name="uq_sla_policy_urgency_version"),)

    id: int | None = Field(default=None, primary_key=True)
    urgency: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    version: int
    durations: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    rating_window_days: int
    changed_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())


class CalendarOverride(SQLModel, table=True):
    """An admin's word on a date (holiday or workday), checked before the chinesecalendar package."""

    __tablename__ = "calendar_override"

    day: date = Field(primary_key=True)
    workday: bool
    note: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())


class Setting(SQLModel, table=True):
    """Small admin-tunable rule tables stored as JSON (e.g. the urgency thresholds)."""

    __tablename__ = "setting"

    key: str = Field(sa_column=sa.Column(sa.String(50), primary_key=True))
    value: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime = Field(sa_column=utc_column())
