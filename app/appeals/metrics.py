"""The appeals' series on /metrics (DESIGN §13), read from the database at scrape time; registered with
app.core.metrics by app.wiring. Each query is served by an existing index (appeal status, appeal next_due_at)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlmodel import Session, col, func, select

from app.appeals.models import Appeal
from app.enums import OPEN_STATUSES


def open_appeals(session: Session, now: datetime) -> Iterator[Metric]:
    rows = session.exec(
        select(Appeal.tier, Appeal.sla_state, func.count())
        .where(col(Appeal.status).in_([s.value for s in OPEN_STATUSES]))
        .group_by(Appeal.tier, Appeal.sla_state)
    ).all()
    family = GaugeMetricFamily("zhuqi_open_appeals", "Open appeals by tier and SLA state", labels=["tier", "sla_state"])
    for (tier, sla_state), count in sorted({(tier, sla_state): int(n) for tier, sla_state, n in rows}.items()):
        family.add_metric([tier, sla_state], count)
    yield family


def sweeper_lag(session: Session, now: datetime) -> Iterator[Metric]:
    oldest_due = session.exec(select(func.min(Appeal.next_due_at)).where(col(Appeal.next_due_at) <= now)).one()
    lag = max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0
    yield GaugeMetricFamily("zhuqi_sweeper_lag_seconds",
                            "How long the oldest due SLA step (reminder, escalation) has waited", value=lag)
