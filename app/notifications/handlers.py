"""How notifications hear about appeals, and what they register with core; called by app.wiring.install().

The outbox writer is a value bound to the page-link builder (which the wiring binds to the process's settings),
so re-installing with other settings swaps it rather than adding a second writer: one row per channel, never two.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.appeals.domain_events import AppealEventRecorded
from app.core import events, health, metrics, refcache
from app.notifications import dispatcher, outbox
from app.notifications import metrics as outbox_metrics


@dataclass(frozen=True)
class OutboxWriter:
    """Writes the chat messages of a recorded appeal event, in the recording transaction."""

    link_for: outbox.LinkFor

    def __call__(self, session: Session, recorded: AppealEventRecorded) -> None:
        outbox.enqueue_for_event(session, recorded.appeal, recorded.event, now=recorded.now, link_for=self.link_for)


def register(link_for: outbox.LinkFor) -> None:
    writer = OutboxWriter(link_for)
    for old in events.subscribers(AppealEventRecorded):
        if isinstance(old, OutboxWriter) and old != writer:
            events.unsubscribe(AppealEventRecorded, old)
    events.subscribe(AppealEventRecorded, writer)
    # Which units have a channel is cached per process; a channel's unit or state changing clears it.
    refcache.track("channel", columns=("unit_id", "state"))
    health.READINESS_CHECKS.setdefault("dispatcher", dispatcher.lag_check)
    metrics.register_business_series("outbox_backlog", outbox_metrics.outbox_backlog)
    metrics.register_business_series("dispatcher_lag", outbox_metrics.dispatcher_lag)


def current_writer() -> OutboxWriter | None:
    return next((h for h in events.subscribers(AppealEventRecorded) if isinstance(h, OutboxWriter)), None)
