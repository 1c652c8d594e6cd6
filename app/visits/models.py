from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Visit(SQLModel, table=True):
    """A visit to an enterprise (走访台账). The appeals it raised point back at it (`appeal.visit_id`)."""

    __tablename__ = "visit"
    __table_args__ = (
        sa.Index("ix_visit_enterprise_id_visited_on", "enterprise_id", "visited_on"),
        # Figures and lists by the enterprise's street (属地) and period.
        sa.Index("ix_visit_street_unit_id_visited_on", "street_unit_id", "visited_on"),
        sa.Index("ix_visit_visitor_user_id_visited_on", "visitor_user_id", "visited_on"),
        # The programme's figures: visits of a period, and of the last weeks, as index-only range scans (0012).
        sa.Index("ix_visit_visited_on_street_enterprise", "visited_on", "street_unit_id", "enterprise_id"),
        # The sweeper's revisit step reads only what is pending.
        sa.Index("ix_visit_revisit_on", "revisit_on", postgresql_where=sa.text("revisit_sent_at IS NULL"),
                 sqlite_where=sa.text("revisit_sent_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    street_unit_id: int = Field(foreign_key="unit.id")  # the enterprise's street when visited
    visited_on: date
    mode: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # on_site | phone | video | meeting
    visitor_user_id: int = Field(foreign_key="app_user.id")
    visitor_unit_id: int = Field(foreign_key="unit.id")  # the visitor's dispatching unit at the time
    participant_user_ids: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    summary: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    policy_ids: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    via: str = Field(default="api", sa_column=sa.Column(sa.String(20), nullable=False))  # api | chatbot | page
    revisit_on: date | None = None
    revisit_sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


class VisitPolicySetting(SQLModel, table=True):
    """The visit cadence (DESIGN §11) as one editable row, versioned like the SLA policies."""

    __tablename__ = "visit_policy"

    id: int | None = Field(default=None, primary_key=True)
    default_days: int = 30
    by_key_level: dict[str, int] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    version: int = 1
    updated_by: str = Field(default="系统", sa_column=sa.Column(sa.String(100), nullable=False))
    updated_at: datetime = Field(sa_column=utc_column())
