"""The database reads behind /metrics' business series (DESIGN §13): a few aggregate queries per scrape, each
served by an existing index (appeal status, outbox status/next_attempt_at, appeal next_due_at)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from app.appeals.models import Appeal
from app.db import session_for
from app.enums import OPEN_STATUSES
from app.notifications import dispatcher
from app.notifications.models import Channel, OutboxMessage
from app.notifications.rules import OutboxStatus


@dataclass(frozen=True)
class ChannelBacklog:
    channel_id: int
    kind: str
    pending: int
    oldest_age_seconds: float


@dataclass(frozen=True)
class Snapshot:
    open_appeals: dict[tuple[str, str], int]
    outbox: list[ChannelBacklog]
    dispatcher_lag_seconds: float
    sweeper_lag_seconds: float


def snapshot(engine: Engine, now: datetime) -> Snapshot:
    with session_for(engine) as session:
        open_rows = session.exec(
            select(Appeal.tier, Appeal.sla_state, func.count())
            .where(col(Appeal.status).in_([s.value for s in OPEN_STATUSES]))
            .group_by(Appeal.tier, Appeal.sla_state)
        ).all()
        outbox_rows = session.exec(
            select(OutboxMessage.channel_id, Channel.kind, func.count(), func.min(OutboxMessage.created_at))
            .join(Channel, col(Channel.id) == col(OutboxMessage.channel_id))
            .where(OutboxMessage.status == OutboxStatus.pending)
            .group_by(OutboxMessage.channel_id, Channel.kind)
        ).all()
        oldest_due = session.exec(select(func.min(Appeal.next_due_at)).where(col(Appeal.next_due_at) <= now)).one()
        dispatcher_lag = float(dispatcher.lag_check(session, now)["lag_seconds"])
    return Snapshot(
        open_appeals={(tier, sla_state): int(n) for tier, sla_state, n in open_rows},
        outbox=[ChannelBacklog(int(cid), kind, int(n), max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
                for cid, kind, n, oldest in outbox_rows],
        dispatcher_lag_seconds=dispatcher_lag,
        sweeper_lag_seconds=max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0,
    )
