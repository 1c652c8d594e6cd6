"""What happened to an appeal, as the appeals package tells it to whoever subscribed (app.core.events).

Appeals publishes these inside its use cases and imports none of the subscribers: the outbox writer
(notifications), the callback tasks (callbacks) and any later domain hear about appeals through them, subscribed
once at start by app.wiring.install(). Handlers run in the publisher's transaction and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.appeals.models import Appeal, AppealEvent


@dataclass(frozen=True)
class AppealEventRecorded:
    """A timeline event was added to `appeal` (every change an appeal goes through is one of these)."""

    appeal: Appeal
    event: AppealEvent
    now: datetime


@dataclass(frozen=True)
class AppealResolved:
    """The owner resolved the appeal: the enterprise is now owed a phone callback (回访) for this round."""

    appeal: Appeal
    now: datetime


@dataclass(frozen=True)
class AppealSettled:
    """No callback is owed any more (the enterprise rated, the appeal was closed or withdrawn); `reason` is
    what a pending callback task is closed with."""

    appeal: Appeal
    reason: str
    now: datetime
