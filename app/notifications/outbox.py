"""Transactional outbox: chat messages are written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.appeals.models import Appeal, AppealEvent


def enqueue_for_event(session: Session, appeal: Appeal, event: AppealEvent, *, now: datetime) -> int:
    """Adds one outbox row per channel subscribed to this event; returns how many. Never commits.

    Channels and the dispatcher arrive with the notification capability (issue 5); until then no unit has a
    channel, so there is nothing to enqueue.
    """
    return 0
