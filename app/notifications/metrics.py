"""The outbox's series on /metrics (DESIGN §13), read from the database at scrape time; registered with
app.core.metrics by app.wiring. Served by the outbox's status/next_attempt_at index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlmodel import Session, col, func, select

from app.notifications import dispatcher
from app.notifications.models import Channel, OutboxMessage
from app.notifications.rules import OutboxStatus


def outbox_backlog(session: Session, now: datetime) -> Iterator[Metric]:
    rows = session.exec(
        select(OutboxMessage.channel_id, Channel.kind, func.count(), func.min(OutboxMessage.created_at))
        .join(Channel, col(Channel.id) == col(OutboxMessage.channel_id))
        .where(OutboxMessage.status == OutboxStatus.pending)
        .group_by(OutboxMessage.channel_id, Channel.kind)
    ).all()
    backlog = GaugeMetricFamily("zhuqi_outbox_backlog", "Pending outbox messages per channel",
                                labels=["channel_id", "kind"])
    oldest = GaugeMetricFamily("zhuqi_outbox_oldest_age_seconds",
                               "Age of the oldest pending outbox message per channel", labels=["channel_id", "kind"])
    for channel_id, kind, pending, first in rows:
        age = max(0.0, (now - first).total_seconds()) if first else 0.0
        backlog.add_metric([str(int(channel_id)), kind], int(pending))
        oldest.add_metric([str(int(channel_id)), kind], age)
    yield backlog
    yield oldest


def dispatcher_lag(session: Session, now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily("zhuqi_dispatcher_lag_seconds", "How long the oldest due outbox message has waited",
                            value=float(dispatcher.lag_check(session, now)["lag_seconds"]))
