"""Tables of DingTalk as the liaison's workplace (DESIGN §14): the DingTalk outbox, to-dos, cards, groups,
the userid → unionId cache, the per-user daily notice budget and the Stream connection's state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


def _str(length: int, *, nullable: bool = False) -> Any:
    return sa.Column(sa.String(length), nullable=nullable)


class DingTalkOp(SQLModel, table=True):
    """One call DingTalk must receive (a work notice to one user, a to-do created or done, a card created or
    updated), written in the transaction of the appeal change that caused it and sent by the worker with a
    lease — the notification outbox's at-least-once scheme for per-user targets instead of group robots.

    `dedupe_key` makes each (event, user, kind) one row however often a handler runs; `payload` is rendered
    once, so a retry sends the very same bytes (the vendor drops the same content to a user the same day)."""

    __tablename__ = "dingtalk_op"
    __table_args__ = (
        sa.Index("ix_dingtalk_op_due", "next_attempt_at",
                 postgresql_where=sa.text("status IN ('pending', 'held')"),
                 sqlite_where=sa.text("status IN ('pending', 'held')")),
        sa.Index("ix_dingtalk_op_appeal_id_kind", "appeal_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=_str(16))  # notice | todo_create | todo_done | card_create | card_update
    appeal_id: int | None = Field(default=None, foreign_key="appeal.id")
    userid: str | None = Field(default=None, sa_column=_str(64, nullable=True))  # the notice's recipient
    ref_id: int | None = None  # dingtalk_todo.id (to-dos) or dingtalk_card.id (cards)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    dedupe_key: str = Field(sa_column=sa.Column(sa.String(160), nullable=False, unique=True))
    # pending | held (over the user's daily budget: waits for the digest) | sent | digested | dead | cancelled
    status: str = Field(default="pending", sa_column=_str(16))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column())
    lease_owner: str | None = Field(default=None, sa_column=_str(80, nullable=True))
    last_error: str | None = Field(default=None, sa_column=_str(500, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class DingTalkTodo(SQLModel, table=True):
    """A DingTalk 待办 of one person for one step of an appeal (sign at a unit; decide an extension)."""

    __tablename__ = "dingtalk_todo"
    __table_args__ = (
        sa.UniqueConstraint("appeal_id", "step", "userid", name="uq_dingtalk_todo_appeal_id_step_userid"),
        sa.Index("ix_dingtalk_todo_appeal_id_status", "appeal_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id")
    step: str = Field(sa_column=_str(60))  # "sign:<event id>" | "extension:<event id>"
    userid: str = Field(sa_column=_str(64))
    source_id: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    union_id: str | None = Field(default=None, sa_column=_str(64, nullable=True))
    task_id: str | None = Field(default=None, sa_column=_str(64, nullable=True))  # the vendor's id
    status: str = Field(default="open", sa_column=_str(16))  # open | done | unknown
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class DingTalkCard(SQLModel, table=True):
    """An interactive card of an appeal in its unit's group (one per arrival at a unit)."""

    __tablename__ = "dingtalk_card"

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id", index=True)
    out_track_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    open_conversation_id: str = Field(sa_column=_str(100))
    status: str = Field(default="pending", sa_column=_str(16))  # pending | delivered
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class DingTalkGroup(SQLModel, table=True):
    """The DingTalk group (openConversationId, the app robot added to it) where a unit's appeal cards go."""

    __tablename__ = "dingtalk_group"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    open_conversation_id: str = Field(sa_column=_str(100))
    created_at: datetime = Field(sa_column=utc_column())


class DingTalkUnionId(SQLModel, table=True):
    """userid → unionId (to-dos are addressed by unionId). Stable per person, so cached without expiry."""

    __tablename__ = "dingtalk_union_id"

    userid: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    union_id: str = Field(sa_column=_str(64))
    fetched_at: datetime = Field(sa_column=utc_column())


class DingTalkNoticeDay(SQLModel, table=True):
    """Work notices sent (attempted) to a user on a China calendar day: our side of the vendor's 500/day."""

    __tablename__ = "dingtalk_notice_day"

    userid: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    sends: int = 0


class DingTalkStreamMessage(SQLModel, table=True):
    """A Stream frame handled, by the gateway's messageId: a redelivery gets the stored answer, not a rerun."""

    __tablename__ = "dingtalk_stream_message"

    message_id: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    topic: str = Field(sa_column=_str(100))
    status: str = Field(default="processing", sa_column=_str(16))  # processing | done
    response: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    received_at: datetime = Field(sa_column=utc_column(index=True))


class DingTalkStreamState(SQLModel, table=True):
    """The worker's Stream connection as last reported (its heartbeat), read by /readyz in any process."""

    __tablename__ = "dingtalk_stream_state"

    name: str = Field(sa_column=sa.Column(sa.String(40), primary_key=True))
    state: str = Field(sa_column=_str(16))  # connecting | connected | disconnected | stopped
    owner: str = Field(sa_column=_str(80))
    connects: int = 0
    connected_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    heartbeat_at: datetime = Field(sa_column=utc_column())
    last_error: str | None = Field(default=None, sa_column=_str(500, nullable=True))
