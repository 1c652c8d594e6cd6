"""Housekeeping: rows that only matter for a while are deleted once they cannot matter any more, so tables that
grow with every request (idempotency keys, sign-in sessions, daily counters, chatbot de-duplication records,
one-time page links) stay the size of their useful window. A worker job; the retention rules are data.

Each rule is safe to run from any number of workers at once (a DELETE of rows past a cutoff is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.accounts.models import AuthSession, UsageCounter
from app.chatbot.models import ChatbotMessage
from app.config import Settings
from app.core.idempotency import KEY_TTL
from app.core.models import IdempotencyRecord
from app.core.time import to_shanghai
from app.db import session_for
from app.pages.models import PageLinkToken, PageSession


@dataclass(frozen=True)
class Retention:
    table: str
    column: sa.ColumnElement[datetime] | sa.ColumnElement[object]
    keep: timedelta
    why: str
    by_day: bool = False  # the column is a Shanghai calendar date, not an instant


RULES: tuple[Retention, ...] = (
    Retention("idempotency_record", IdempotencyRecord.__table__.c.created_at, KEY_TTL,  # type: ignore[attr-defined]
              "a key is honoured for 24 hours; after that a retry is a new request anyway"),
    Retention("auth_session", AuthSession.__table__.c.expires_at, timedelta(days=30),  # type: ignore[attr-defined]
              "an expired session cannot be refreshed; kept a month after expiry for questions about it"),
    Retention("usage_counter", UsageCounter.__table__.c.day, timedelta(days=7),  # type: ignore[attr-defined]
              "daily limits read today's counter only", by_day=True),
    Retention("chatbot_message", ChatbotMessage.__table__.c.created_at, timedelta(days=7),  # type: ignore[attr-defined]
              "DingTalk redelivers a callback within seconds; the actions themselves are on the timeline"),
    Retention("page_session", PageSession.__table__.c.expires_at, timedelta(days=1),  # type: ignore[attr-defined]
              "an expired page session signs nobody in; kept a day for support questions"),
    Retention("page_link_token", PageLinkToken.__table__.c.expires_at, timedelta(days=1),  # type: ignore[attr-defined]
              "an expired link opens nothing"),
)


def cutoff(rule: Retention, now: datetime) -> object:
    moment = now - rule.keep
    return to_shanghai(moment).date() if rule.by_day else moment


def purge(engine: Engine, *, now: datetime) -> dict[str, int]:
    """Deletes what every rule says has run out; one transaction per table. Returns the rows deleted per table."""
    deleted: dict[str, int] = {}
    for rule in RULES:
        table = rule.column.table  # type: ignore[attr-defined]
        with session_for(engine) as session:
            result = session.execute(sa.delete(table).where(rule.column < cutoff(rule, now)))
            session.commit()
        deleted[rule.table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


def housekeeping_job(engine: Engine, settings: Settings, now: datetime) -> int:
    return sum(purge(engine, now=now).values())
