"""Inbound DingTalk robot messages, kept so that a redelivered msgId performs nothing twice."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utc_column


class MessageStatus(StrEnum):
    processing = "processing"  # the command's action is committed; the reply is not stored yet
    done = "done"  # `reply` holds the answer, replayed verbatim for a redelivered msgId


class ChatbotMessage(SQLModel, table=True):
    """One robot callback we answered (DingTalk redelivers after its 2.5 s timeout with the same msgId).

    For commands that change an appeal the row is inserted in the same transaction as the action, so
    "row exists" ⇔ "action applied": a crash can never apply it twice and never lose the dedup record.
    """

    __tablename__ = "chatbot_message"

    id: int | None = Field(default=None, primary_key=True)
    msg_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    status: str = Field(default=MessageStatus.processing, sa_column=sa.Column(sa.String(16), nullable=False))
    sender: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))  # senderStaffId
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    conversation_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128), nullable=True))
    content: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    verb: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True))
    reply: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    created_at: datetime = Field(sa_column=utc_column(index=True))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
