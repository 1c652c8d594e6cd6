from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class Policy(SQLModel, table=True):
    """A policy an issuer unit publishes (DESIGN §12); its scope is the issuer unit's area."""

    __tablename__ = "policy"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    issuer_unit_id: int = Field(foreign_key="unit.id", index=True)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # universal | targeted
    benefit: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    target: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    valid_from: date
    valid_to: date | None = None
    apply_by: date | None = None
    status: str = Field(default="active", sa_column=sa.Column(sa.String(16), nullable=False))  # active|withdrawn
    version: int = 1
    created_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PolicyPush(SQLModel, table=True):
    """One push of a policy: who pushed, when, how many matched and how many deliveries were new."""

    __tablename__ = "policy_push"

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    policy_version: int
    pushed_by: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    pushed_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    matched: int = 0
    new_deliveries: int = 0
    pushed_at: datetime = Field(sa_column=utc_column())


class PolicyDelivery(SQLModel, table=True):
    """A policy delivered to one enterprise: read receipt, declaration of interest (意向申报) and outcome (兑现)."""

    __tablename__ = "policy_delivery"
    __table_args__ = (
        sa.UniqueConstraint("policy_id", "enterprise_id", name="uq_policy_delivery_policy_id_enterprise_id"),
        sa.Index("ix_policy_delivery_enterprise_id_read_at", "enterprise_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    push_id: int = Field(foreign_key="policy_push.id", index=True)
    street_unit_id: int = Field(foreign_key="unit.id", index=True)  # the enterprise's street when delivered
    reasons: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    delivered_at: datetime = Field(sa_column=utc_column())
    read_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    interest_appeal_id: int | None = Field(default=None, foreign_key="appeal.id")
    interest_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    outcome_amount_cny: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    outcome_note: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    outcome_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
