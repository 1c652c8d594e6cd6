"""What the SLA sweeper owes each appeal, and when. Pure: clocks in, steps out.

Every step has a unique key derived from the deadline it belongs to, so a step happens once per deadline even with
several sweepers (the key is also a unique constraint in the database). A new deadline (escalation, extension,
redo) brings new keys, hence fresh reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from app.core.time import SHANGHAI
from app.enums import SlaState, Status
from app.sla.policy import reminder_at, sla_state

REMINDER_FRACTIONS = (0.5, 0.8)
DAILY_REMINDER_TIME = time(9, 0)  # supervised appeals: a reminder to the city task force every morning


class StepKind(StrEnum):
    reminder = "reminder"  # 50% / 80% of a window: 催办 to the owner's group
    escalate_unanswered = "escalate_unanswered"  # respond deadline passed while not signed for
    overdue = "overdue"  # resolve deadline passed: urgency → red
    escalate_overdue = "escalate_overdue"  # the owner's resolve deadline passed: one tier up
    supervise = "supervise"  # at the city and still stuck: 督办
    daily_reminder = "daily_reminder"  # supervised: every morning
    auto_close = "auto_close"  # resolved and not rated within the rating window


_KIND_ORDER = list(StepKind)  # at the same moment: remind, then mark overdue, then escalate


@dataclass(frozen=True)
class Clocks:
    status: Status
    routed_at: datetime
    resolve_started_at: datetime
    respond_by: datetime | None
    resolve_by: datetime | None
    unit_resolve_by: datetime | None
    resolved_at: datetime | None
    supervised_at: datetime | None
    rating_window_days: int
    at_top: bool  # the owner is the city: nowhere higher to go


@dataclass(frozen=True)
class Step:
    kind: StepKind
    key: str
    due_at: datetime
    window: str | None = None  # "respond" | "resolve" for reminders
    percent: int | None = None


def _iso(t: datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M%S")


def _reminders(window: str, start: datetime, deadline: datetime) -> list[Step]:
    return [
        Step(StepKind.reminder, f"remind:{window}:{_iso(deadline)}:{int(f * 100)}", reminder_at(start, deadline, f),
             window=window, percent=int(f * 100))
        for f in REMINDER_FRACTIONS
        if deadline > start
    ]


def _next_daily(supervised_at: datetime, now: datetime) -> Step:
    """The first 09:00 Shanghai strictly after supervision that has not passed before today."""
    local_now = now.astimezone(SHANGHAI)
    day = max(supervised_at.astimezone(SHANGHAI).date() + timedelta(days=1), local_now.date())
    due = datetime.combine(day, DAILY_REMINDER_TIME, tzinfo=SHANGHAI)
    return Step(StepKind.daily_reminder, f"daily:{day.isoformat()}", due)


def steps_for(c: Clocks, now: datetime) -> list[Step]:
    """Every step the current state of the clocks implies, due or not."""
    steps: list[Step] = []
    waiting = c.status in (Status.submitted, Status.returned)
    if waiting and c.respond_by is not None:
        steps += _reminders("respond", c.routed_at, c.respond_by)
        if c.at_top:
            steps.append(Step(StepKind.supervise, f"supervise:respond:{_iso(c.respond_by)}", c.respond_by,
                              window="respond"))
        else:
            steps.append(Step(StepKind.escalate_unanswered, f"escalate:respond:{_iso(c.respond_by)}", c.respond_by,
                              window="respond"))
    if c.status in (Status.submitted, Status.in_progress, Status.returned) and c.resolve_by is not None:
        if c.status is Status.in_progress:
            steps += _reminders("resolve", c.resolve_started_at, c.resolve_by)
        steps.append(Step(StepKind.overdue, f"overdue:{_iso(c.resolve_by)}", c.resolve_by, window="resolve"))
        unit_deadline = c.unit_resolve_by or c.resolve_by
        if c.status is Status.in_progress:
            if c.at_top:
                steps.append(Step(StepKind.supervise, f"supervise:resolve:{_iso(unit_deadline)}", unit_deadline))
            else:
                steps.append(Step(StepKind.escalate_overdue, f"escalate:resolve:{_iso(unit_deadline)}",
                                  unit_deadline))
    if c.supervised_at is not None and c.status in (Status.submitted, Status.in_progress, Status.returned):
        steps.append(_next_daily(c.supervised_at, now))
    if c.status is Status.resolved and c.resolved_at is not None:
        close_at = c.resolved_at + timedelta(days=c.rating_window_days)
        steps.append(Step(StepKind.auto_close, f"autoclose:{_iso(c.resolved_at)}", close_at))
    return steps


def _partition(c: Clocks, now: datetime, done: set[str]) -> tuple[list[Step], list[Step]]:
    """(steps to perform now, reminders to record as done without sending).

    A reminder is pointless once its window's deadline step is itself due, and after a long pause of the sweeper
    only the latest reminder of a window is worth sending."""
    pending = sorted((s for s in steps_for(c, now) if s.key not in done and s.due_at <= now),
                     key=lambda s: (s.due_at, _KIND_ORDER.index(s.kind)))
    deadline_windows = {s.window for s in pending if s.kind is not StepKind.reminder}
    latest: dict[str | None, Step] = {}
    for s in pending:
        if s.kind is StepKind.reminder and s.window not in deadline_windows:
            latest[s.window] = s
    keep = [s for s in pending if s.kind is not StepKind.reminder or latest.get(s.window) is s]
    return keep, [s for s in pending if s not in keep]


def due_steps(c: Clocks, now: datetime, done: set[str]) -> list[Step]:
    return _partition(c, now, done)[0]


def skipped_reminders(c: Clocks, now: datetime, done: set[str]) -> list[Step]:
    return _partition(c, now, done)[1]


def next_due_at(c: Clocks, now: datetime, done: set[str]) -> datetime | None:
    pending = [s.due_at for s in steps_for(c, now) if s.key not in done]
    return min(pending) if pending else None


def sla_state_of(c: Clocks, now: datetime, previous: SlaState) -> SlaState:
    """The worse of the respond window (while waiting to be signed for) and the enterprise's resolve window."""
    if c.status is Status.pending_info:
        return previous  # paused: the clock does not move
    if c.status not in (Status.submitted, Status.in_progress, Status.returned):
        return SlaState.on_track
    states = []
    if c.status in (Status.submitted, Status.returned) and c.respond_by is not None:
        states.append(sla_state(now, c.routed_at, c.respond_by))
    if c.resolve_by is not None:
        states.append(sla_state(now, c.resolve_started_at, c.resolve_by))
    order = [SlaState.on_track, SlaState.due_soon, SlaState.overdue]
    return max(states, key=order.index) if states else SlaState.on_track
