from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


def _str(length: int, *, nullable: bool = False, index: bool = False) -> Any:
    return sa.Column(sa.String(length), nullable=nullable, index=index)


class Appeal(SQLModel, table=True):
    """An enterprise's appeal (诉求). `version` guards every change (compare-and-set, ETag)."""

    __tablename__ = "appeal"
    __table_args__ = (
        sa.Index("ix_appeal_unit_id_id", "unit_id", "id"),
        sa.Index("ix_appeal_street_unit_id_id", "street_unit_id", "id"),
        sa.Index("ix_appeal_status_id", "status", "id"),
        sa.Index("ix_appeal_enterprise_id_id", "enterprise_id", "id"),
        # The programme's 服务企业 ("did this enterprise file an appeal in the period") and a department's 收集/解决:
        # index-only probes per enterprise (0012, resolved_at added by 0013).
        sa.Index("ix_appeal_enterprise_id_created_at_resolved_at", "enterprise_id", "created_at", "resolved_at"),
        # The list's category + urgency filter in any reach, newest first (migration 0007; bench/RESULTS.md).
        sa.Index("ix_appeal_category_urgency_id", "category", "urgency", "id"),
        # The sweeper reads only what is due: cost grows with what is due, not with what is open.
        sa.Index("ix_appeal_next_due_at", "next_due_at", postgresql_where=sa.text("next_due_at IS NOT NULL"),
                 sqlite_where=sa.text("next_due_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, unique=True))
    enterprise_id: int = Field(foreign_key="enterprise.id")
    street_unit_id: int = Field(foreign_key="unit.id")  # the enterprise's street at intake (属地)
    unit_id: int = Field(foreign_key="unit.id")  # current owner
    tier: str = Field(sa_column=_str(16))
    title: str = Field(sa_column=_str(200))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(sa_column=_str(20))
    kind: str = Field(default="individual", sa_column=_str(20))
    source: str = Field(sa_column=_str(20))
    # The visit (走访) that raised it, when source is `visit`.
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)

    production_halted: bool = False
    safety_risk: bool = False
    wage_arrears: bool = False
    employees_affected: int | None = None
    amount_cny: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    hard_deadline: date | None = None
    attachment_ids: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))

    urgency: str = Field(sa_column=_str(10))
    urgency_reasons: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    urgency_overridden: bool = False
    status: str = Field(sa_column=_str(20))
    sla_state: str = Field(default="on_track", sa_column=_str(16))
    liaison_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    policy_version: int = 1

    routed_at: datetime = Field(sa_column=utc_column())  # when the current owner received it
    respond_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    plan_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    feedback_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolve_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The current owner's own deadline before the sweeper moves it up a tier; the enterprise's `resolve_by`
    # never resets on escalation, but each new owner gets a fair window to act.
    unit_resolve_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolve_started_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    original_respond_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    original_resolve_by: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    responded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    paused_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The sweeper's next moment of interest (reminder, deadline); NULL when nothing is pending.
    next_due_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    urges: int = 0
    returns: int = 0
    extensions: int = 0
    extension_days: int = 0
    reopens: int = 0
    escalations: int = 0
    supervised: bool = False
    supervised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolution_code: str | None = Field(default=None, sa_column=_str(30, nullable=True))
    public_reply: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    rating: str | None = Field(default=None, sa_column=_str(20, nullable=True))
    merged_into_id: int | None = Field(default=None, foreign_key="appeal.id")

    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class AppealEvent(SQLModel, table=True):
    """Append-only timeline: who did what, when, from→to. Never updated or deleted."""

    __tablename__ = "appeal_event"
    __table_args__ = (sa.Index("ix_appeal_event_appeal_id_id", "appeal_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id")
    type: str = Field(sa_column=_str(30))
    actor: str = Field(sa_column=_str(100))  # display label: "张三 (西溪街道)", "系统", enterprise name
    actor_role: str = Field(sa_column=_str(20))
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    via: str = Field(default="api", sa_column=_str(20))  # api | chatbot | mini_program | sweeper | page
    at: datetime = Field(sa_column=utc_column())
    from_status: str | None = Field(default=None, sa_column=_str(20, nullable=True))
    to_status: str | None = Field(default=None, sa_column=_str(20, nullable=True))
    from_unit_code: str | None = Field(default=None, sa_column=_str(32, nullable=True))
    to_unit_code: str | None = Field(default=None, sa_column=_str(32, nullable=True))
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    public: bool = True
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class AppealNumberCounter(SQLModel, table=True):
    """Per-year counter used on SQLite (writers are serialised there); PostgreSQL uses a sequence."""

    __tablename__ = "appeal_number_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_value: int = 0


class AppealStep(SQLModel, table=True):
    """A sweeper step done for an appeal (reminder, escalation, supervision…). The unique key makes every step
    happen once, however many sweepers race."""

    __tablename__ = "appeal_step"
    __table_args__ = (sa.UniqueConstraint("appeal_id", "key", name="uq_appeal_step_appeal_id_key"),)

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id")
    key: str = Field(sa_column=_str(120))
    kind: str = Field(sa_column=_str(30))
    done_at: datetime = Field(sa_column=utc_column())


class AppealCohandler(SQLModel, table=True):
    """A co-handling unit (加派): may add progress notes; the owner still resolves."""

    __tablename__ = "appeal_cohandler"
    # Who reads an appeal asks by unit (app.appeals.access: a 加派 unit reads what it co-handles) (0013).
    __table_args__ = (sa.Index("ix_appeal_cohandler_unit_id_appeal_id", "unit_id", "appeal_id"),)

    appeal_id: int = Field(foreign_key="appeal.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    added_at: datetime = Field(sa_column=utc_column())


class ExtensionRequest(SQLModel, table=True):
    """延期: requested by the owning unit, decided by an admin above it."""

    __tablename__ = "extension_request"
    __table_args__ = (sa.Index("ix_extension_request_appeal_id_status", "appeal_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id")
    unit_id: int = Field(foreign_key="unit.id")
    days: int
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default="pending", sa_column=_str(16))
    requested_by: str = Field(sa_column=_str(100))
    decided_by: str | None = Field(default=None, sa_column=_str(100, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
