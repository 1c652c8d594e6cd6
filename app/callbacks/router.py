"""Phone callbacks (回访): the district's callers list what is due and record each call's outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.auth.deps import StaffDep
from app.auth.principal import Principal
from app.callbacks import service
from app.callbacks.models import CallbackTask
from app.callbacks.schemas import CallbackOutcome, CallbackTaskPage, CallbackTaskRead
from app.core.pagination import CursorQuery, LimitQuery, decode_cursor_id, encode_cursor
from app.deps import NowDep, SessionDep, SettingsDep
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.errors import problem_responses
from app.units.models import Unit

router = APIRouter(prefix="/api/v1/callbacks/tasks", tags=["callbacks"])


def to_reads(session: Session, principal: Principal, tasks: Sequence[CallbackTask]) -> list[CallbackTaskRead]:
    appeals = {a.id: a for a in session.exec(select(Appeal).where(col(Appeal.id).in_({t.appeal_id for t in tasks}))).all()}
    enterprises = {e.id: e for e in session.exec(
        select(Enterprise).where(col(Enterprise.id).in_({a.enterprise_id for a in appeals.values()}))).all()}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_({t.unit_id for t in tasks}))).all()}
    reads = []
    for t in tasks:
        appeal = appeals[t.appeal_id]
        enterprise = enterprises[appeal.enterprise_id]
        caller = principal.unit_id == t.unit_id  # the district's own callers need the number to phone
        reads.append(CallbackTaskRead(
            id=t.id, appeal_id=appeal.id, appeal_number=appeal.number, appeal_title=appeal.title,  # type: ignore[arg-type]
            enterprise_name=enterprise.name, contact_name=enterprise.contact_name,
            contact_mobile=enterprise.contact_mobile if caller else mask_mobile(enterprise.contact_mobile),
            unit_code=units[t.unit_id].code, unit_name=units[t.unit_id].name, status=t.status,  # type: ignore[arg-type]
            attempts=t.attempts, max_attempts=service.MAX_ATTEMPTS, next_try_on=t.next_try_on, rating=t.rating,  # type: ignore[arg-type]
            comment=t.comment, needs_redo=t.needs_redo, closed_reason=t.closed_reason,
            last_attempt_at=t.last_attempt_at, created_at=t.created_at, updated_at=t.updated_at,
        ))
    return reads


@router.get("", response_model=CallbackTaskPage, responses=problem_responses(403))
def list_tasks(
    session: SessionDep, principal: StaffDep, settings: SettingsDep,
    status: Annotated[Literal["pending", "reached", "not_reached", "refused", "closed"] | None,
                      Query(description="默认 pending")] = "pending",
    due_by: Annotated[date | None, Query(description="只列出下一次回访日不晚于该日的任务，例如今天")] = None,
    limit: LimitQuery = 50, cursor: CursorQuery = None,
) -> CallbackTaskPage:
    """列出本单位（区县）负责的回访任务，先建的在前。"""
    secret = settings.secret_key.get_secret_value()
    rows = service.list_tasks(session, principal, status=status, due_by=due_by,
                              after_id=decode_cursor_id(cursor, secret), limit=limit + 1)
    next_cursor = encode_cursor({"id": rows[limit - 1].id}, secret) if len(rows) > limit else None
    return CallbackTaskPage(items=to_reads(session, principal, rows[:limit]), next_cursor=next_cursor)


@router.get("/{task_id}", response_model=CallbackTaskRead, responses=problem_responses(403))
def get_task(task_id: int, session: SessionDep, principal: StaffDep) -> CallbackTaskRead:
    """读取一个回访任务。"""
    return to_reads(session, principal, [service.get_task(session, principal, task_id)])[0]


@router.post("/{task_id}/outcome", response_model=CallbackTaskRead, responses=problem_responses(403, 404, 409))
def record_outcome(task_id: int, data: CallbackOutcome, session: SessionDep, principal: StaffDep,
                   now: NowDep) -> CallbackTaskRead:
    """登记一次回访结果：已接通（满意/基本满意即结案，不满意转重办）、未接通（最多 3 次，顺延下一个工作日）、拒绝。"""
    task = service.record_outcome(session, principal, task_id, data, now=now)
    return to_reads(session, principal, [task])[0]
