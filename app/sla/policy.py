"""SLA policies as data, and the clock arithmetic built on them (DESIGN §4, §5).

Pure: every function takes the instants it needs (including ``now``) and returns values; all
returned datetimes are aware and in UTC. Working-day arithmetic is delegated to WorkingCalendar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from app.enums import Category, SlaState, Urgency
from app.sla.calendar import SHANGHAI, WorkingCalendar, local_date

__all__ = [
    "DEFAULT_POLICIES",
    "DUE_SOON_FRACTION",
    "Deadlines",
    "Duration",
    "DurationUnit",
    "SlaPolicy",
    "UrgencyPolicy",
    "SlaState",
    "add_duration",
    "compute_deadlines",
    "reminder_at",
    "shift_for_pause",
    "sla_state",
    "validate_policy",
    "working_days_left",
]

# due_soon at 80% of a window (DESIGN §3). Kept as a ratio of ints so the comparison is exact.
DUE_SOON_FRACTION: tuple[int, int] = (4, 5)
_DAY_SECONDS = 86_400


class DurationUnit(StrEnum):
    minutes = "minutes"
    hours = "hours"
    working_days = "working_days"


@dataclass(frozen=True)
class Duration:
    """``amount`` must be > 0. Not enforced here: admin-entered policies must be loadable so that
    validate_policy can report every problem at once; add_duration refuses bad amounts."""

    amount: int
    unit: DurationUnit


@dataclass(frozen=True)
class SlaPolicy:
    urgency: Urgency
    respond: Duration  # first response / sign-for (首问负责制)
    resolve: Duration
    plan: Duration | None = None  # "solution in 3 days" of 1+3+6+10
    feedback: Duration | None = None  # "feedback by day 6"
    rating_window_days: int = 7  # resolved -> auto-close after this many (calendar) days
    version: int = 1


def _h(n: int) -> Duration:
    return Duration(n, DurationUnit.hours)


def _wd(n: int) -> Duration:
    return Duration(n, DurationUnit.working_days)


# DESIGN §4 defaults. Read-only so a caller cannot edit the process-wide defaults by accident.
DEFAULT_POLICIES: Mapping[Urgency, SlaPolicy] = MappingProxyType(
    {
        Urgency.red: SlaPolicy(Urgency.red, respond=_h(24), resolve=_wd(3)),
        # 建德 "1+3+6+10": listed day 1, plan in 3, feedback by 6, closed by 10 working days.
        Urgency.yellow: SlaPolicy(
            Urgency.yellow, respond=_h(24), plan=_wd(3), feedback=_wd(6), resolve=_wd(10)
        ),
        Urgency.green: SlaPolicy(Urgency.green, respond=_wd(2), resolve=_wd(20)),
    }
)


def add_duration(calendar: WorkingCalendar, start: datetime, d: Duration) -> datetime:
    """minutes/hours: plain elapsed time (nights and holidays count); working_days: the calendar."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got naive {start!r}")
    if isinstance(d.amount, bool) or not isinstance(d.amount, int) or d.amount <= 0:
        raise ValueError(f"duration amount must be a positive integer, got {d.amount!r}")
    match d.unit:
        case DurationUnit.minutes:
            return (start + timedelta(minutes=d.amount)).astimezone(UTC)
        case DurationUnit.hours:
            return (start + timedelta(hours=d.amount)).astimezone(UTC)
        case DurationUnit.working_days:
            return calendar.add_working_days(start, d.amount)
    raise ValueError(f"unknown duration unit {d.unit!r}")


def _is_unit(u: object) -> bool:
    try:
        DurationUnit(u)
    except ValueError:
        return False
    return True


_FIELD_LABELS: dict[str, str] = {
    "respond": "响应时限 respond",
    "plan": "方案时限 plan",
    "feedback": "反馈时限 feedback",
    "resolve": "办结时限 resolve",
}


def validate_policy(p: SlaPolicy, calendar: WorkingCalendar, *, probe: datetime) -> list[str]:
    """Problems with an (admin-edited) policy, in Chinese + English; empty list = valid.

    Durations of different units are compared by applying both to the same ``probe`` instant, so
    "24 hours" vs "1 working day" is judged as the calendar would actually run them.
    """
    problems: list[str] = []
    durations: dict[str, Duration] = {
        name: d
        for name in ("respond", "plan", "feedback", "resolve")
        if (d := getattr(p, name)) is not None
    }
    for name, d in durations.items():
        if isinstance(d.amount, bool) or not isinstance(d.amount, int) or d.amount <= 0:
            problems.append(
                f"{_FIELD_LABELS[name]}必须为正整数 / {name} amount must be a positive integer "
                f"(got {d.amount!r})"
            )
        if not _is_unit(d.unit):
            problems.append(f"{_FIELD_LABELS[name]}单位无效 / {name} unit is invalid ({d.unit!r})")
    if isinstance(p.rating_window_days, bool) or p.rating_window_days <= 0:
        problems.append(
            f"评价期限必须为正整数天 / rating_window_days must be positive (got {p.rating_window_days!r})"
        )
    if problems:
        return problems  # ordering checks are meaningless on invalid amounts

    ends = {name: add_duration(calendar, probe, d) for name, d in durations.items()}
    # (earlier, later) pairs that must not be inverted. plan <= resolve is implied when feedback
    # is present, but checked directly too so a policy without feedback is still ordered.
    pairs = [("respond", "resolve"), ("plan", "feedback"), ("feedback", "resolve"), ("plan", "resolve")]
    for earlier, later in pairs:
        if earlier in ends and later in ends and ends[later] < ends[earlier]:
            if earlier == "plan" and later == "resolve" and "feedback" in ends:
                continue  # already reported through feedback, avoid a duplicate message
            problems.append(
                f"{_FIELD_LABELS[later]}不得早于{_FIELD_LABELS[earlier]} / "
                f"{later} must not end before {earlier} (probe {probe.isoformat()})"
            )
    return problems


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    plan_by: datetime | None
    feedback_by: datetime | None
    resolve_by: datetime


def compute_deadlines(policy: SlaPolicy, calendar: WorkingCalendar, start: datetime) -> Deadlines:
    """All windows run from the same start (filing), as in 1+3+6+10 where 3/6/10 are day counts."""

    def opt(d: Duration | None) -> datetime | None:
        return None if d is None else add_duration(calendar, start, d)

    return Deadlines(
        respond_by=add_duration(calendar, start, policy.respond),
        plan_by=opt(policy.plan),
        feedback_by=opt(policy.feedback),
        resolve_by=add_duration(calendar, start, policy.resolve),
    )


def _paused_working_seconds(pause_start: datetime, pause_end: datetime, calendar: WorkingCalendar) -> int:
    """Seconds of [pause_start, pause_end) that fall on working days (whole Shanghai local days)."""
    total = 0
    d = local_date(pause_start)
    last = local_date(pause_end)
    while d <= last:
        if calendar.is_workday(d):
            day_start = datetime(d.year, d.month, d.day, tzinfo=SHANGHAI)
            day_end = day_start + timedelta(days=1)  # Shanghai has no DST: always 24h
            lo = max(day_start, pause_start)
            hi = min(day_end, pause_end)
            if hi > lo:
                total += math.ceil((hi - lo).total_seconds())
        d += timedelta(days=1)
    return total


def shift_for_pause(
    deadline: datetime,
    unit: DurationUnit,
    pause_start: datetime,
    pause_end: datetime,
    calendar: WorkingCalendar,
) -> datetime:
    """Move a deadline for a ``pending_info`` pause (the clock stops while we wait for the enterprise).

    - minutes/hours: the deadline moves by the elapsed pause.
    - working_days: sum the seconds of the pause that fall on working days (whole Shanghai calendar
      days, nights included — the clock is day-based, not office-hours-based), divide by 86,400 and
      round UP; the deadline moves by that many working days and stays at 23:59:59 local.
      So: a pause only over a weekend/holiday moves nothing; any pause touching a working day moves
      at least one day; Fri 17:00 → Mon 09:00 = 7 h + 9 h = 16 h → 1 working day (not 2: we count
      time, not days touched); Mon 09:00 → Wed 09:00 = 48 h → 2.
    """
    for t in (deadline, pause_start, pause_end):
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"datetimes must be timezone-aware, got naive {t!r}")
    if pause_end < pause_start:
        raise ValueError("pause_end is before pause_start")
    if unit in (DurationUnit.minutes, DurationUnit.hours):
        return (deadline + (pause_end - pause_start)).astimezone(UTC)
    if unit is not DurationUnit.working_days:
        raise ValueError(f"unknown duration unit {unit!r}")
    days = math.ceil(_paused_working_seconds(pause_start, pause_end, calendar) / _DAY_SECONDS)
    if days == 0:
        return deadline.astimezone(UTC)
    return calendar.add_working_days(deadline, days)


def sla_state(now: datetime, window_start: datetime, deadline: datetime) -> SlaState:
    """overdue strictly after the deadline; due_soon from 80% of the window (inclusive)."""
    if now > deadline:
        return SlaState.overdue
    num, den = DUE_SOON_FRACTION
    # timedelta * int is exact, so the 80% boundary is decided to the microsecond.
    if (now - window_start) * den >= (deadline - window_start) * num:
        return SlaState.due_soon
    return SlaState.on_track


def reminder_at(window_start: datetime, deadline: datetime, fraction: float) -> datetime:
    """The instant at which ``fraction`` (e.g. 0.5, 0.8) of the window has elapsed."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    return (window_start + (deadline - window_start) * fraction).astimezone(UTC)


def working_days_left(now: datetime, deadline: datetime, calendar: WorkingCalendar) -> int:
    """Countdown shown to people: workdays after today up to and including the deadline's day.

    0 when the deadline is past, and also on the deadline's own day ("due today").
    """
    if now > deadline:
        return 0
    return calendar.working_days_between(local_date(now), local_date(deadline))


@dataclass(frozen=True)
class UrgencyPolicy:
    """Admin-tunable thresholds; defaults per DESIGN §3. "≥" everywhere ("100人以上" includes 100)."""

    red_employees: int = 100
    yellow_employees: int = 20
    red_amount_cny: int = 10_000_000
    yellow_amount_cny: int = 1_000_000
    red_deadline_working_days: int = 5
    yellow_deadline_working_days: int = 20
    # Minimum colour for a category (e.g. {Category.energy: Urgency.yellow} in a summer of rationing).
    category_floor: Mapping[Category, Urgency] = field(
        default_factory=lambda: MappingProxyType({}), hash=False  # mappings are unhashable
    )
    # Tags that raise the result by one step (green→yellow, yellow→red), applied once, last.
    boost_tags: tuple[str, ...] = ("专精特新", "规上企业")
