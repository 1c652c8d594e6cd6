"""Housekeeping: rows that only matter for a while are deleted once they cannot matter any more, so tables that
grow with every request (idempotency keys, sign-in sessions, daily counters, chatbot de-duplication records,
one-time page links) stay the size of their useful window. A worker job; the retention rules are data, each
registered by the domain that owns the table (`register`, called from app.wiring): core imports no domain.

Each rule is safe to run from any number of workers at once (a DELETE of rows past a cutoff is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.config import Settings
from app.core.idempotency import KEY_TTL
from app.core.models import IdempotencyRecord
from app.core.time import to_shanghai
from app.db import session_for


@dataclass(frozen=True)
class Retention:
    table: str
    column: sa.ColumnElement[datetime] | sa.ColumnElement[object]
    keep: timedelta
    why: str
    by_day: bool = False  # the column is a Shanghai calendar date, not an instant


# Registered rules, in registration order; core's own first. A list so that `register` can append to it.
RULES: list[Retention] = [
    Retention("idempotency_record", IdempotencyRecord.__table__.c.created_at, KEY_TTL,  # type: ignore[attr-defined]
              "a key is honoured for 24 hours; after that a retry is a new request anyway"),
]


def register(*rules: Retention) -> None:
    """Adds retention rules (a table registered again keeps its first rule: registering is idempotent)."""
    for rule in rules:
        if all(known.table != rule.table for known in RULES):
            RULES.append(rule)


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
