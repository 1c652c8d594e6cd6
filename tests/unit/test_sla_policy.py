"""SLA policies: defaults, deadlines over Spring Festival, pauses, states, reminders, countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.enums import SlaState, Urgency
from app.sla.calendar import SHANGHAI, WorkingCalendar
from app.sla.policy import (
    DEFAULT_POLICIES,
    Deadlines,
    Duration,
    DurationUnit,
    SlaPolicy,
    add_duration,
    compute_deadlines,
    reminder_at,
    shift_for_pause,
    sla_state,
    validate_policy,
    working_days_left,
)

H, WD, MIN = DurationUnit.hours, DurationUnit.working_days, DurationUnit.minutes
CAL = WorkingCalendar()


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def eod(y: int, m: int, d: int) -> datetime:
    return sh(y, m, d, 23, 59, 59)


# —— defaults ——————————————————————————————————————————————————————————————————————————


def test_defaults_match_design() -> None:
    red, yellow, green = (DEFAULT_POLICIES[u] for u in (Urgency.red, Urgency.yellow, Urgency.green))
    assert (red.respond, red.resolve) == (Duration(24, H), Duration(3, WD))
    assert (red.plan, red.feedback) == (None, None)
    # 建德 "1+3+6+10"
    assert (yellow.respond, yellow.plan, yellow.feedback, yellow.resolve) == (
        Duration(24, H), Duration(3, WD), Duration(6, WD), Duration(10, WD),
    )
    assert (green.respond, green.resolve) == (Duration(2, WD), Duration(20, WD))
    assert {p.rating_window_days for p in DEFAULT_POLICIES.values()} == {7}
    assert all(p.urgency is u for u, p in DEFAULT_POLICIES.items())
    with pytest.raises(TypeError):
        DEFAULT_POLICIES[Urgency.red] = red  # type: ignore[index]


@pytest.mark.parametrize(
    "probe", [sh(2026, 3, 2, 9), sh(2026, 3, 6, 23, 30), sh(2026, 2, 16, 12), sh(2026, 12, 30, 9)]
)
def test_defaults_are_valid(probe: datetime) -> None:
    for p in DEFAULT_POLICIES.values():
        assert validate_policy(p, CAL, probe=probe) == []


# —— deadlines —————————————————————————————————————————————————————————————————————————


def test_yellow_filed_before_spring_festival() -> None:
    # Fri 02-13; workdays after it: 02-14 (Sat 调休), 02-24, 02-25, 02-26, 02-27, 02-28 (Sat 调休),
    # 03-02, 03-03, 03-04, 03-05 — checked against chinese_calendar.find_workday(n, 2026-02-13).
    got = compute_deadlines(DEFAULT_POLICIES[Urgency.yellow], CAL, sh(2026, 2, 13, 9))
    assert got == Deadlines(
        respond_by=sh(2026, 2, 14, 9),  # 24 elapsed hours
        plan_by=eod(2026, 2, 25),  # 3rd working day
        feedback_by=eod(2026, 2, 28),  # 6th
        resolve_by=eod(2026, 3, 5),  # 10th
    )


def test_yellow_filed_in_an_ordinary_fortnight() -> None:
    # Mon 03-02: 03-03..06, 03-09..13, 03-16 — no holidays; 10 working days = two calendar weeks.
    got = compute_deadlines(DEFAULT_POLICIES[Urgency.yellow], CAL, sh(2026, 3, 2, 9))
    assert got == Deadlines(
        respond_by=sh(2026, 3, 3, 9),
        plan_by=eod(2026, 3, 5),
        feedback_by=eod(2026, 3, 10),
        resolve_by=eod(2026, 3, 16),
    )
    assert got.resolve_by.tzinfo is UTC


def test_red_and_green_have_no_plan_or_feedback() -> None:
    red = compute_deadlines(DEFAULT_POLICIES[Urgency.red], CAL, sh(2026, 3, 6, 23, 30))
    assert (red.respond_by, red.resolve_by, red.plan_by, red.feedback_by) == (
        sh(2026, 3, 7, 23, 30), eod(2026, 3, 11), None, None,
    )
    green = compute_deadlines(DEFAULT_POLICIES[Urgency.green], CAL, sh(2026, 3, 6, 23, 30))
    assert green.respond_by == eod(2026, 3, 10)


def test_add_duration_units_and_errors() -> None:
    start = sh(2026, 3, 6, 23, 30)
    assert add_duration(CAL, start, Duration(45, MIN)) == sh(2026, 3, 7, 0, 15)
    assert add_duration(CAL, start, Duration(2, H)) == sh(2026, 3, 7, 1, 30)
    assert add_duration(CAL, start, Duration(1, WD)) == eod(2026, 3, 9)
    with pytest.raises(ValueError):
        add_duration(CAL, start, Duration(0, H))
    with pytest.raises(ValueError):
        add_duration(CAL, datetime(2026, 3, 6, 9), Duration(1, H))


starts = st.datetimes(datetime(2025, 1, 1), datetime(2027, 3, 1), timezones=st.just(SHANGHAI))


@settings(max_examples=150, deadline=None, database=None)
@given(start=starts)
def test_yellow_deadlines_are_ordered(start: datetime) -> None:
    d = compute_deadlines(DEFAULT_POLICIES[Urgency.yellow], CAL, start)
    assert d.plan_by is not None and d.feedback_by is not None
    assert start < d.respond_by <= d.plan_by < d.feedback_by < d.resolve_by


# —— validate_policy ———————————————————————————————————————————————————————————————————


def test_validate_rejects_resolve_before_respond() -> None:
    p = SlaPolicy(Urgency.red, respond=Duration(5, WD), resolve=Duration(2, WD))
    problems = validate_policy(p, CAL, probe=sh(2026, 3, 2, 9))
    assert len(problems) == 1 and "resolve" in problems[0] and "办结时限" in problems[0]


def test_validate_compares_mixed_units_at_the_probe() -> None:
    # 72 h from Mon 09:00 is Thu 09:00, after "1 working day" = Tue 23:59:59.
    p = SlaPolicy(Urgency.red, respond=Duration(72, H), resolve=Duration(1, WD))
    assert validate_policy(p, CAL, probe=sh(2026, 3, 2, 9)) != []
    # 24 h vs 1 working day is fine even late on a Friday.
    ok = SlaPolicy(Urgency.red, respond=Duration(24, H), resolve=Duration(1, WD))
    assert validate_policy(ok, CAL, probe=sh(2026, 3, 6, 23, 30)) == []


def test_validate_rejects_non_positive_amounts_all_at_once() -> None:
    p = SlaPolicy(
        Urgency.yellow, respond=Duration(0, H), resolve=Duration(-1, WD), plan=Duration(3, WD),
        rating_window_days=0,
    )
    problems = validate_policy(p, CAL, probe=sh(2026, 3, 2, 9))
    assert len(problems) == 3
    assert any("respond" in m and "正整数" in m for m in problems)
    assert any("resolve" in m for m in problems)
    assert any("rating_window_days" in m for m in problems)


@pytest.mark.parametrize(
    ("plan", "feedback", "resolve", "bad"),
    [
        (6, 3, 10, "feedback"),  # plan after feedback
        (3, 12, 10, "resolve"),  # feedback after resolve
        (12, None, 10, "resolve"),  # plan after resolve, no feedback
    ],
)
def test_validate_plan_feedback_resolve_order(
    plan: int, feedback: int | None, resolve: int, bad: str
) -> None:
    p = SlaPolicy(
        Urgency.yellow, respond=Duration(24, H), resolve=Duration(resolve, WD), plan=Duration(plan, WD),
        feedback=None if feedback is None else Duration(feedback, WD),
    )
    problems = validate_policy(p, CAL, probe=sh(2026, 3, 2, 9))
    assert len(problems) == 1 and problems[0].startswith({"feedback": "反馈", "resolve": "办结"}[bad])


# —— pauses (pending_info) —————————————————————————————————————————————————————————————

DEADLINE = eod(2026, 3, 16)  # a working-day deadline (Mon)


@pytest.mark.parametrize(
    ("pause_start", "pause_end", "expected"),
    [
        (sh(2026, 3, 7, 10), sh(2026, 3, 8, 18), DEADLINE),  # Sat → Sun only: nothing
        (sh(2026, 3, 6, 17), sh(2026, 3, 9, 9), eod(2026, 3, 17)),  # Fri 7 h + Mon 9 h = 16 h → 1
        (sh(2026, 3, 9, 9), sh(2026, 3, 9, 9, 10), eod(2026, 3, 17)),  # 10 minutes on a workday → 1
        (sh(2026, 3, 9, 9), sh(2026, 3, 11, 9), eod(2026, 3, 18)),  # 15 h + 24 h + 9 h = 48 h → 2
        (sh(2026, 3, 9, 9), sh(2026, 3, 11, 9, 0, 1), eod(2026, 3, 19)),  # 48 h + 1 s → 3
        (sh(2026, 3, 9, 9), sh(2026, 3, 9, 9), DEADLINE),  # zero-length
        # Over Spring Festival: Fri 02-13 7 h + Sat 02-14 (调休) 24 h + Tue 02-24 9 h = 40 h → 2
        (sh(2026, 2, 13, 17), sh(2026, 2, 24, 9), eod(2026, 3, 18)),
        (sh(2026, 10, 1, 0), sh(2026, 10, 8, 0), DEADLINE),  # the whole National Day holiday
    ],
)
def test_pause_moves_working_day_deadline(
    pause_start: datetime, pause_end: datetime, expected: datetime
) -> None:
    assert shift_for_pause(DEADLINE, WD, pause_start, pause_end, CAL) == expected


def test_pause_moves_hour_deadline_by_elapsed_time() -> None:
    deadline = sh(2026, 3, 7, 9)
    got = shift_for_pause(deadline, H, sh(2026, 3, 6, 17), sh(2026, 3, 9, 9), CAL)
    assert got == deadline + timedelta(hours=64)
    five_minutes = shift_for_pause(deadline, MIN, sh(2026, 3, 6, 17), sh(2026, 3, 6, 17, 5), CAL)
    assert five_minutes == sh(2026, 3, 7, 9, 5)


def test_pause_errors() -> None:
    with pytest.raises(ValueError):
        shift_for_pause(DEADLINE, WD, sh(2026, 3, 9), sh(2026, 3, 8), CAL)
    with pytest.raises(ValueError):
        shift_for_pause(DEADLINE, WD, datetime(2026, 3, 8), sh(2026, 3, 9), CAL)


@settings(max_examples=150, deadline=None, database=None)
@given(start=starts, length=st.timedeltas(timedelta(0), timedelta(days=20)))
def test_pause_never_moves_a_deadline_earlier(start: datetime, length: timedelta) -> None:
    deadline = CAL.add_working_days(start, 10)
    got = shift_for_pause(deadline, WD, start, start + length, CAL)
    assert got >= deadline
    assert got.astimezone(SHANGHAI).time() == time(23, 59, 59)
    # Never more working days than the calendar days the pause touches.
    moved = CAL.working_days_between(deadline.astimezone(SHANGHAI).date(), got.astimezone(SHANGHAI).date())
    assert moved <= length.days + 2


# —— sla_state / reminders / countdown —————————————————————————————————————————————————

W0 = sh(2026, 3, 2, 9)
W1 = W0 + timedelta(hours=10)
US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (W0, SlaState.on_track),
        (W0 + timedelta(hours=8) - US, SlaState.on_track),
        (W0 + timedelta(hours=8), SlaState.due_soon),  # 80% inclusive
        (W1, SlaState.due_soon),  # at the deadline: not yet overdue
        (W1 + US, SlaState.overdue),
    ],
)
def test_sla_state_boundaries(now: datetime, expected: SlaState) -> None:
    assert sla_state(now, W0, W1) is expected


def test_reminders() -> None:
    assert reminder_at(W0, W1, 0.5) == W0 + timedelta(hours=5)
    assert reminder_at(W0, W1, 0.8) == W0 + timedelta(hours=8)
    assert sla_state(reminder_at(W0, W1, 0.8), W0, W1) is SlaState.due_soon
    assert reminder_at(W0, W1, 0.8).tzinfo is UTC
    with pytest.raises(ValueError):
        reminder_at(W0, W1, 1.5)


@pytest.mark.parametrize(
    ("now", "deadline", "expected"),
    [
        (sh(2026, 2, 13, 10), eod(2026, 2, 25), 3),  # 02-14, 02-24, 02-25
        (sh(2026, 2, 25, 10), eod(2026, 2, 25), 0),  # due today
        (sh(2026, 2, 26, 0), eod(2026, 2, 25), 0),  # past
        (sh(2026, 3, 2, 9), eod(2026, 3, 16), 10),
    ],
)
def test_working_days_left(now: datetime, deadline: datetime, expected: int) -> None:
    assert working_days_left(now, deadline, CAL) == expected
