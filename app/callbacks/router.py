"""Phone callbacks (回访): the district's callers list what is due and record each call's outcome."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.deps import StaffDep
from app.callbacks import service
from app.callbacks.schemas import CallbackOutcome, CallbackTaskPage, CallbackTaskRead
from app.callbacks.views import to_reads
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor_id
from app.core.validation import IdPath, QueryDate
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import problem_responses

router = APIRouter(prefix="/api/v1/callback-tasks", tags=["callbacks"])


@router.get("", response_model=CallbackTaskPage, responses=problem_responses(403))
def list_tasks(
    session: SessionDep, principal: StaffDep, settings: SettingsDep,
    status: Annotated[Literal["pending", "reached", "not_reached", "refused", "closed"] | None,
                      Query(description="默认 pending")] = "pending",
    due_by: Annotated[QueryDate | None, Query(description="只列出下一次回访日不晚于该日的任务，例如今天")] = None,
    limit: LimitQuery = 50, cursor: CursorQuery = None,
) -> CallbackTaskPage:
    """列出本单位（区县）负责的回访任务，先建的在前。"""
    secret = settings.signing_secret
    rows = service.list_tasks(session, principal, status=status, due_by=due_by,
                              after_id=decode_cursor_id(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return CallbackTaskPage(items=to_reads(session, principal, page.rows), next_cursor=page.next_cursor)


@router.get("/{task_id}", response_model=CallbackTaskRead, responses=problem_responses(403))
def get_task(task_id: IdPath, session: SessionDep, principal: StaffDep) -> CallbackTaskRead:
    """读取一个回访任务。"""
    return to_reads(session, principal, [service.get_task(session, principal, task_id)])[0]


@router.post("/{task_id}/outcome", response_model=CallbackTaskRead, responses=problem_responses(403, 404, 409))
def record_outcome(task_id: IdPath, data: CallbackOutcome, session: SessionDep, principal: StaffDep,
                   now: NowDep) -> CallbackTaskRead:
    """登记一次回访结果：已接通（满意/基本满意即结案，不满意转重办）、未接通（最多 3 次，顺延下一个工作日）、拒绝。"""
    task = service.record_outcome(session, principal, task_id, data, now=now)
    return to_reads(session, principal, [task])[0]
