from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class CallbackTask(SQLModel, table=True):
    """A phone callback (回访) owed to an enterprise after its appeal was resolved.

    One task per resolution round: `round` is the appeal's `reopens` when the task was created, so a redo that is
    resolved again gets a new task, and creating the task twice for the same resolution is a no-op.
    """

    __tablename__ = "callback_task"
    __table_args__ = (
        sa.UniqueConstraint("appeal_id", "round"),
        sa.Index("ix_callback_task_unit_id_status_next_try_on", "unit_id", "status", "next_try_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id")
    round: int = 0
    unit_id: int = Field(foreign_key="unit.id")  # the district whose callers phone the enterprise
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(20), nullable=False))
    attempts: int = 0
    next_try_on: date | None = None  # a working day; None once the task is finished
    rating: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True))
    comment: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    needs_redo: bool = False  # 不满意: the appeal must be reopened as a redo (wired by the workflow)
    closed_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    last_attempt_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_caller: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
