"""Phone callbacks (回访): a task per resolution for the district's callers; outcomes with up to three tries on
working days. Public functions are one transaction each, except the two hooks subscribed to appeals' events
(app.callbacks.handlers; they only add)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from app.appeals import events, workflow
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn
from app.auth import service as auth
from app.auth.principal import Principal
from app.callbacks.models import CallbackTask
from app.callbacks.schemas import CallbackOutcome
from app.enums import RATING_LABELS, SATISFIED_RATINGS, Rating, Status, Tier, UnitKind
from app.errors import Conflict, NotFound
from app.sla import service as sla_service
from app.sla.calendar import local_date
from app.units import service as units
from app.units.models import Unit

MAX_ATTEMPTS = 3
OUTCOME_LABELS = {"reached": "已接通", "not_reached": "未接通", "refused": "企业拒绝回访"}


def callback_unit_for(session: Session, appeal: Appeal) -> Unit:
    """The district above the enterprise's street (属地区县) phones it: someone other than the handler."""
    street = session.get(Unit, appeal.street_unit_id)
    assert street is not None
    for above in units.ancestors(session, street):
        if above.kind == UnitKind.area and above.tier == Tier.district:
            return above
    return next((u for u in units.ancestors(session, street) if u.kind == UnitKind.area), street)


def next_try_day(session: Session, now: datetime) -> date:
    return sla_service.load_calendar(session).nth_workday_after(local_date(now), 1)


def create_callback_task_for(session: Session, appeal: Appeal, *, now: datetime) -> CallbackTask:
    """The callback owed for this resolution of `appeal`, created once (first try: the next working day).

    Runs on appeals' `AppealResolved` (app.callbacks.handlers), in the resolving transaction. Never commits.
    """
    existing = session.exec(
        select(CallbackTask).where(CallbackTask.appeal_id == appeal.id, CallbackTask.round == appeal.reopens)
    ).first()
    if existing is not None:
        return existing
    task = CallbackTask(appeal_id=appeal.id, round=appeal.reopens, unit_id=callback_unit_for(session, appeal).id,  # type: ignore[arg-type]
                        next_try_on=next_try_day(session, now), created_at=now, updated_at=now)
    session.add(task)
    session.flush()
    return task


def close_callback_task_for(session: Session, appeal: Appeal, *, reason: str, now: datetime) -> int:
    """Closes the appeal's pending callback tasks, e.g. because the enterprise rated in the app first.

    Runs on appeals' `AppealSettled` (rate, close, withdraw, the sweeper's auto-close: app.callbacks.handlers)
    in their transaction. Returns how many tasks were closed. Never commits.
    """
    tasks = session.exec(
        select(CallbackTask).where(CallbackTask.appeal_id == appeal.id, CallbackTask.status == "pending")
    ).all()
    for task in tasks:
        _close(task, reason, now)
        session.add(task)
    return len(tasks)


def _close(task: CallbackTask, reason: str, now: datetime) -> None:
    task.status, task.closed_reason, task.next_try_on, task.updated_at = "closed", reason, None, now


def _reach_clause(session: Session, principal: Principal):  # type: ignore[no-untyped-def]
    reach = auth.reach_unit_ids(session, principal)
    return True if reach is None else col(CallbackTask.unit_id).in_(reach)


def get_task(session: Session, principal: Principal, task_id: int) -> CallbackTask:
    task = session.exec(select(CallbackTask).where(CallbackTask.id == task_id, _reach_clause(session, principal))).first()
    if task is None:
        raise NotFound(f"回访任务 {task_id} 不存在或不在您的权限范围内")
    return task


def list_tasks(session: Session, principal: Principal, *, status: str | None, due_by: date | None,
               after_id: int | None, limit: int) -> list[CallbackTask]:
    query = select(CallbackTask).where(_reach_clause(session, principal))
    if status is not None:
        query = query.where(CallbackTask.status == status)
    if due_by is not None:
        query = query.where(col(CallbackTask.next_try_on) <= due_by)
    if after_id is not None:
        query = query.where(col(CallbackTask.id) > after_id)
    return list(session.exec(query.order_by(col(CallbackTask.id)).limit(limit)).all())


def record_outcome(session: Session, principal: Principal, task_id: int, data: CallbackOutcome, *,
                   now: datetime) -> CallbackTask:
    task = get_task(session, principal, task_id)
    if task.status != "pending":
        raise Conflict(f"回访任务已结束（{task.status}），不能再登记结果")
    appeal = session.get(Appeal, task.appeal_id)
    assert appeal is not None
    if appeal.status != Status.resolved or appeal.rating is not None:
        # The enterprise rated in the app first (or the appeal moved on): the call is moot. Close the task for good,
        # then tell the caller; the close is worth keeping even though this request fails.
        _close(task, "企业已在线评价" if appeal.rating else "诉求已不在待评价状态", now)
        session.add(task)
        session.commit()
        raise Conflict(f"诉求 {appeal.number} 已不在待评价状态，回访任务已关闭")
    task.attempts += 1
    task.last_attempt_at, task.last_caller, task.updated_at = now, principal.label, now
    task.comment = data.comment or task.comment
    if data.outcome == "not_reached":
        done = task.attempts >= MAX_ATTEMPTS
        task.status = "not_reached" if done else "pending"
        task.next_try_on = None if done else next_try_day(session, now)
    else:
        task.status, task.next_try_on = data.outcome, None
        task.rating = data.rating
    session.add(task)
    events.record_event(session, appeal, "callback", now=now, principal=principal, public=False,
                        note=_note(task, data), data={"callback_task_id": task.id, "outcome": data.outcome,
                                                      "rating": data.rating, "attempt": task.attempts})
    if data.rating in SATISFIED_RATINGS:
        apply_callback_rating(session, principal, appeal, data.rating, comment=data.comment, now=now)  # type: ignore[arg-type]
    elif data.rating is Rating.dissatisfied:
        reopen_for_redo(session, principal, appeal, task, comment=data.comment, now=now)
    session.commit()
    return task


def _note(task: CallbackTask, data: CallbackOutcome) -> str:
    text = f"电话回访（第{task.attempts}次）：{OUTCOME_LABELS[data.outcome]}"
    if data.rating is not None:
        text += f"，企业评价：{RATING_LABELS[data.rating]}"
    if data.outcome == "not_reached":
        text += f"，{task.next_try_on:%Y-%m-%d} 再次回访" if task.next_try_on else "，已达 3 次，回访结束"
    return text + (f"。{data.comment}" if data.comment else "。")


def apply_callback_rating(session: Session, principal: Principal, appeal: Appeal, rating: Rating, *,
                          comment: str | None = None, now: datetime) -> None:
    """The enterprise's rating given on the phone counts exactly like its in-app rating: the workflow's `rate`
    (满意/基本满意 → closed; 不满意 → redo). Same transaction; the caller commits."""
    workflow.apply_on_behalf(session, principal, appeal, Action.rate,
                             ActionIn(rating=rating.value, comment=comment), now=now, via="callback")


def reopen_for_redo(session: Session, principal: Principal, appeal: Appeal, task: CallbackTask, *,
                    comment: str | None, now: datetime) -> None:
    """不满意 on the phone: reopened as a redo (重办) by the workflow, exactly like the enterprise's own 不满意
    (reopens += 1, urgency → red, a fresh resolve window, back to in_progress at its unit)."""
    task.needs_redo = True
    session.add(task)
    apply_callback_rating(session, principal, appeal, Rating.dissatisfied, comment=comment, now=now)
