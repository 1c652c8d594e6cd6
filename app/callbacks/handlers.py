"""How the phone callbacks (回访) hear about appeals; called by app.wiring.install().

A resolution owes the enterprise a callback; a rating, a close or a withdrawal ends what is still pending. Both
run in the appeal's transaction, so a task exists exactly when the resolution committed."""

from __future__ import annotations

from sqlmodel import Session

from app.appeals.domain_events import AppealResolved, AppealSettled
from app.callbacks import service
from app.core import events


def create_task(session: Session, resolved: AppealResolved) -> None:
    service.create_callback_task_for(session, resolved.appeal, now=resolved.now)


def close_tasks(session: Session, settled: AppealSettled) -> None:
    service.close_callback_task_for(session, settled.appeal, reason=settled.reason, now=settled.now)


def register() -> None:
    events.subscribe(AppealResolved, create_task)
    events.subscribe(AppealSettled, close_tasks)
