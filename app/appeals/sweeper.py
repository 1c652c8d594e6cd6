"""The SLA sweeper: reminders, escalation street → district → city, supervision, auto-close.

`sweep(session, now=...)` reads only appeals whose `next_due_at` has passed (partial index), locks them with
FOR UPDATE SKIP LOCKED on PostgreSQL so concurrent sweepers share the work, records each step under a unique
(appeal, key) and bumps the appeal's version with a compare-and-set. Any number of sweepers and API processes may
run at once: no step happens twice and no update is lost.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.appeals import schedule
from app.appeals.domain_events import AppealSettled
from app.appeals.events import record_event
from app.appeals.models import Appeal, AppealStep
from app.appeals.schedule import Step, StepKind
from app.appeals.state import clocks_of, done_steps, move_to, save
from app.config import Settings
from app.core import events, metrics
from app.db import is_postgres, session_for
from app.enums import URGENCY_RANK, SlaState, Status, Urgency
from app.errors import Conflict
from app.units import service as units
from app.units.models import Unit

log = logging.getLogger("app.sweeper")
BATCH = 200
WINDOW_LABELS = {"respond": "签收", "resolve": "办结"}


def sweep(session: Session, *, now: datetime, limit: int = BATCH) -> int:
    """One batch: returns how many steps were performed."""
    query = (select(Appeal).where(col(Appeal.next_due_at) <= now)
             .order_by(col(Appeal.next_due_at)).limit(limit))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    performed = 0
    for appeal in session.exec(query).all():
        try:
            with session.begin_nested():
                performed += _sweep_one(session, appeal, now=now)
        except (IntegrityError, Conflict):
            # Another sweeper did this step first (unique key) or the appeal changed under us: skip it now;
            # its next_due_at brings it back if anything is still owed.
            log.info("sweeper: appeal %s skipped (done concurrently)", appeal.id)
            session.expire(appeal)
    session.commit()
    return performed


def _sweep_one(session: Session, appeal: Appeal, *, now: datetime) -> int:
    clocks = clocks_of(session, appeal)
    done = done_steps(session, appeal)
    expected = appeal.version
    for step in schedule.skipped_reminders(clocks, now, done):
        session.add(AppealStep(appeal_id=appeal.id, key=step.key, kind=step.kind, done_at=now))  # type: ignore[arg-type]
    performed = 0
    for step in schedule.due_steps(clocks, now, done):
        session.add(AppealStep(appeal_id=appeal.id, key=step.key, kind=step.kind, done_at=now))  # type: ignore[arg-type]
        session.flush()  # the unique (appeal, key) guard fires here, before any effect
        moved = _perform(session, appeal, step, now=now)
        performed += 1
        metrics.inc("zhuqi_sweeper_steps_total", help_text="SLA sweeper steps performed", kind=step.kind)
        if moved:
            break  # the clocks changed; the rest is recomputed from the new owner's deadlines next round
    save(session, appeal, expected_version=expected, now=now)
    return performed


def _perform(session: Session, appeal: Appeal, step: Step, *, now: datetime) -> bool:
    owner = session.get(Unit, appeal.unit_id)
    assert owner is not None
    match step.kind:
        case StepKind.reminder:
            label = WINDOW_LABELS.get(step.window or "", "办理")
            deadline = appeal.respond_by if step.window == "respond" else appeal.resolve_by
            record_event(session, appeal, "reminder", now=now, public=False,
                         note=f"{label}时限已过{step.percent}%，请尽快办理", data={"deadline": str(deadline),
                                                                              "percent": step.percent})
        case StepKind.overdue:
            appeal.sla_state = SlaState.overdue
            _make_red(appeal, "办理超期")
            record_event(session, appeal, "overdue", now=now, public=False, note="已超过办结期限，调整为红色")
        case StepKind.escalate_unanswered | StepKind.escalate_overdue:
            target = units.area_parent(session, owner)
            if target is None:
                return False
            if step.kind is StepKind.escalate_overdue:
                _make_red(appeal, "办理超期")
            why = "超过签收时限未签收" if step.kind is StepKind.escalate_unanswered else "超过办结时限未办结"
            before = appeal.status
            move_to(session, appeal, target, now=now)
            appeal.escalations += 1
            record_event(session, appeal, "escalated", now=now, from_status=before, to_status=appeal.status,
                         from_unit_code=owner.code, to_unit_code=target.code,
                         note=f"{why}，自动提级至{target.name}")
            return True
        case StepKind.supervise:
            if not appeal.supervised:
                appeal.supervised, appeal.supervised_at = True, now
                record_event(session, appeal, "supervised", now=now, note="市级仍未办结，列入市专班督办")
        case StepKind.daily_reminder:
            record_event(session, appeal, "reminder", now=now, public=False, note="督办件每日提醒，请尽快办结")
        case StepKind.auto_close:
            events.publish(session, AppealSettled(appeal, "评价期满，已自动结案", now))
            before = appeal.status
            appeal.status, appeal.closed_at = Status.closed, now
            record_event(session, appeal, "closed", now=now, from_status=before, to_status=Status.closed,
                         note="评价期满企业未评价，自动结案")
    return False


def _make_red(appeal: Appeal, reason: str) -> None:
    if appeal.urgency_overridden or URGENCY_RANK[Urgency(appeal.urgency)] >= URGENCY_RANK[Urgency.red]:
        return
    appeal.urgency = Urgency.red
    appeal.urgency_reasons = [*appeal.urgency_reasons, reason]


def sweep_job(engine: Engine, settings: Settings, now: datetime) -> int:
    """The worker's job: sweep batches until a round finds nothing more to do (bounded, so one slow round
    never starves the other jobs)."""
    total = 0
    for _ in range(50):
        with session_for(engine) as session:
            done = sweep(session, now=now)
        total += done
        if done == 0:
            break
    return total
