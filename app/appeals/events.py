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
from app.db import insert_row, new_row

SYSTEM_ACTOR = "系统"


def record_event(
    session: Session,
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
    event = new_row(
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
    insert_row(session, event)
    events.publish(session, AppealEventRecorded(appeal, event, now))
    return event
