"""The one way an appeal's timeline grows: an event row, then `AppealEventRecorded` published to its subscribers
(the outbox writer adds the chat notifications) in the caller's transaction (transactional outbox). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.appeals.models import Appeal, AppealEvent
from app.auth.principal import Principal
from app.appeals.domain_events import AppealEventRecorded
from app.core import events
from app.db import insert_row, insert_with_child, new_row

SYSTEM_ACTOR = "系统"


def record_event(session: Session, appeal: Appeal, event_type: str, *, now: datetime, **details: Any) -> AppealEvent:
    """Appends an event to the appeal's timeline and tells the subscribers. `details`: `new_event`'s keywords."""
    event = new_event(appeal, event_type, now=now, **details)
    insert_row(session, event)
    published(session, appeal, event, now=now)
    return event


def write_with_appeal(session: Session, appeal: Appeal, event: AppealEvent) -> None:
    """Writes a new appeal and its first event (built by `new_event` before the appeal had an id): one statement
    on PostgreSQL. The caller then publishes the event (`published`) once the appeal is complete."""
    insert_with_child(session, appeal, event, fk="appeal_id")


def published(session: Session, appeal: Appeal, event: AppealEvent, *, now: datetime) -> None:
    """Tells the subscribers about an event written by `write_with_appeal` (record_event does both steps)."""
    events.publish(session, AppealEventRecorded(appeal, event, now))


def new_event(
    appeal: Appeal,
    event_type: str,
    *,
    now: datetime,
    principal: Principal | None = None,
    via: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    from_unit_code: str | None = None,
    to_unit_code: str | None = None,
    note: str | None = None,
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    """The event row, not yet written."""
    return new_row(
        AppealEvent,
        appeal_id=appeal.id,  # type: ignore[arg-type]
        type=event_type,
        actor=principal.label if principal else SYSTEM_ACTOR,
        actor_role=principal.role if principal else "system",
        actor_user_id=principal.user_id if principal else None,
        via=via or ("mini_program" if principal and principal.is_enterprise else "api" if principal else "sweeper"),
        at=now,
        from_status=from_status,
        to_status=to_status,
        from_unit_code=from_unit_code,
        to_unit_code=to_unit_code,
        note=note,
        public=public,
        data=data or {},
    )
