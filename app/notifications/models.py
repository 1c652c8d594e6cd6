"""Tables of the notification capability: channels, the outbox, the per-channel send log, admin alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


def _str(length: int, *, nullable: bool = False) -> Any:
    return sa.Column(sa.String(length), nullable=nullable)


class Channel(SQLModel, table=True):
    """A chat group robot (or generic webhook) of a unit. `secret` is write-only at the API."""

    __tablename__ = "channel"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str | None = Field(default=None, sa_column=_str(100, nullable=True))
    kind: str = Field(sa_column=_str(16))  # dingtalk | wecom | feishu | webhook
    url: str = Field(sa_column=_str(1000))
    secret: str | None = Field(default=None, sa_column=_str(300, nullable=True))
    keyword: str | None = Field(default=None, sa_column=_str(20, nullable=True))
    events: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    min_urgency: str = Field(default="green", sa_column=_str(10))
    internal: bool = False
    per_minute_budget: int
    monthly_quota: int | None = None
    state: str = Field(default="active", sa_column=_str(16))  # active | broken
    broken_reason: str | None = Field(default=None, sa_column=_str(500, nullable=True))
    # Set after a vendor throttle answer: nothing is sent before it (DingTalk blocks for 10 minutes).
    blocked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # Monthly quota meter, in Asia/Shanghai calendar months ("2026-03").
    month_key: str | None = Field(default=None, sa_column=_str(7, nullable=True))
    month_sends: int = 0
    quota_alert_month: str | None = Field(default=None, sa_column=_str(7, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class OutboxMessage(SQLModel, table=True):
    """One message to one channel, written in the transaction of the change that caused it.

    `id` ("msg_…") is the idempotency id of every attempt: DingTalk `msgUuid`, Standard Webhooks
    `webhook-id`. `payload` is rendered and unsigned; `context` keeps what a digest needs to list it.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # Claiming reads only due pending rows: the partial index keeps that O(due), not O(history).
        sa.Index(
            "ix_outbox_message_due",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_outbox_message_channel_id_status", "channel_id", "status"),
        sa.Index("ix_outbox_message_created_at_id", "created_at", "id"),
    )

    id: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    channel_id: int = Field(foreign_key="channel.id")
    appeal_id: int | None = Field(default=None, foreign_key="appeal.id", index=True)
    event_type: str = Field(sa_column=_str(30))
    urgency: str = Field(sa_column=_str(10))
    priority: int = 0  # 2 red, 1 yellow, 0 green: the order a channel's queue is sent in
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    context: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    dedupe_key: str = Field(sa_column=sa.Column(sa.String(120), nullable=False, unique=True))
    status: str = Field(default="pending", sa_column=_str(16))  # pending | sent | dead | coalesced
    digest_hold: bool = False  # waits for the channel's daily digest (quota saving mode)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column())
    lease_owner: str | None = Field(default=None, sa_column=_str(80, nullable=True))
    lease_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, sa_column=_str(500, nullable=True))
    coalesced_into: str | None = Field(default=None, sa_column=_str(40, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ChannelSend(SQLModel, table=True):
    """Sliding-window log of sends per channel, shared by every worker (the rate budget)."""

    __tablename__ = "channel_send"
    __table_args__ = (sa.Index("ix_channel_send_channel_id_sent_at", "channel_id", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id")
    sent_at: datetime = Field(sa_column=utc_column())


class AdminAlert(SQLModel, table=True):
    """Something the admins of a unit must look at: a broken channel, a dead message, a quota warning."""

    __tablename__ = "admin_alert"
    __table_args__ = (sa.Index("ix_admin_alert_unit_id_id", "unit_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    kind: str = Field(sa_column=_str(30))  # channel_broken | message_dead | quota_warning
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
