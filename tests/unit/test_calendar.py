"""WorkingCalendar: official 2026 dates (with 调休), arithmetic, the 2027 fallback, overrides."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import app.sla.calendar as calmod
from app.sla.calendar import SHANGHAI, WorkingCalendar, end_of_local_day

D = date


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def eod(y: int, m: int, d: int) -> datetime:
    return sh(y, m, d, 23, 59, 59)


# State Council notice of 2025-11-04, as shipped in chinesecalendar 1.11.0.
WORKDAY_FACTS = [
    (D(2026, 2, 13), True),  # Friday before Spring Festival
    (D(2026, 2, 14), True),  # Saturday, make-up workday
    *[(D(2026, 2, day), False) for day in range(15, 24)],  # 02-15..02-23 off
    (D(2026, 2, 24), True),
    (D(2026, 2, 28), True),  # Saturday, make-up workday
    (D(2026, 9, 20), True),  # Sunday, make-up workday
    *[(D(2026, 10, day), False) for day in range(1, 8)],  # National Day 10-01..10-07 off
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),  # Saturday, make-up workday
    (D(2026, 1, 1), False),
    (D(2026, 1, 4), True),  # Sunday, make-up workday
    (D(2026, 3, 7), False),  # ordinary Saturday
]


@pytest.mark.parametrize(("d", "expected"), WORKDAY_FACTS, ids=[str(d) for d, _ in WORKDAY_FACTS])
def test_official_2026_calendar(d: date, expected: bool) -> None:
    cal = WorkingCalendar()
    assert cal.is_workday(d) is expected
    assert cal.missing_years == set()


ADD_CASES = [
    # (start, n, expected end) — end is always 23:59:59 Shanghai of the N-th workday after start's date
    (sh(2026, 2, 13, 10), 1, eod(2026, 2, 14)),  # make-up Saturday counts
    (sh(2026, 2, 13, 10), 2, eod(2026, 2, 24)),  # then the whole Spring Festival is skipped
    (sh(2026, 2, 13, 10), 3, eod(2026, 2, 25)),
    (sh(2026, 3, 6, 23, 30), 1, eod(2026, 3, 9)),  # late Friday: Monday, time of day irrelevant
    (sh(2026, 3, 6, 0, 0), 1, eod(2026, 3, 9)),
    (sh(2026, 10, 3, 9), 1, eod(2026, 10, 8)),  # start on a holiday: first counted day is 10-08
    (sh(2026, 10, 3, 9), 3, eod(2026, 10, 10)),  # 10-08, 10-09, 10-10 (make-up Saturday)
    (sh(2026, 9, 18, 12), 1, eod(2026, 9, 20)),  # Friday → make-up Sunday
    # 0 working days: end of today if a workday, else end of the next workday
    (sh(2026, 2, 13, 10), 0, eod(2026, 2, 13)),
    (sh(2026, 2, 15, 10), 0, eod(2026, 2, 24)),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD_CASES)
def test_add_working_days(start: datetime, n: int, expected: datetime) -> None:
    cal = WorkingCalendar()
    got = cal.add_working_days(start, n)
    assert got == expected
    assert got.tzinfo is UTC


def test_add_working_days_agrees_with_chinese_calendar_find_workday() -> None:
    # find_workday(n, d) == n-th workday after d *when d itself is a workday* (it first snaps to
    # the next workday otherwise, which is why we do not use it directly).
    cal = WorkingCalendar()
    assert chinese_calendar.find_workday(3, D(2026, 2, 13)) == D(2026, 2, 25)
    for n in range(1, 30):
        expected = chinese_calendar.find_workday(n, D(2026, 2, 13))
        assert cal.add_working_days(sh(2026, 2, 13, 10), n) == end_of_local_day(expected)


def test_utc_start_uses_shanghai_local_date() -> None:
    # 2026-03-06 17:30 UTC is already Saturday 01:30 in Shanghai → next workday after Saturday is Monday.
    cal = WorkingCalendar()
    assert cal.add_working_days(datetime(2026, 3, 6, 17, 30, tzinfo=UTC), 1) == eod(2026, 3, 9)
    # 15:59 UTC is still Friday 23:59 in Shanghai → the same Monday.
    assert cal.add_working_days(datetime(2026, 3, 6, 15, 59, tzinfo=UTC), 1) == eod(2026, 3, 9)


def test_naive_start_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WorkingCalendar().add_working_days(datetime(2026, 3, 6, 10), 1)


def test_negative_n_rejected() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(sh(2026, 3, 6), -1)


def test_deadline_spanning_into_uncovered_2027_falls_back_without_raising() -> None:
    with pytest.raises(NotImplementedError):  # the premise: the library has no 2027 data
        chinese_calendar.is_workday(D(2027, 1, 4))
    cal = WorkingCalendar()
    # 12-29, 12-30, 12-31 (2026 data), then Mon–Fri in 2027: 01-01 (!), 01-04 .. 01-08, 01-11.
    assert cal.add_working_days(sh(2026, 12, 28, 9), 10) == eod(2027, 1, 11)
    assert cal.missing_years == {2027}
    assert cal.covers(2026) and not cal.covers(2027)


def test_missing_year_warns_once_per_process(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calmod, "_warned_years", set())
    with caplog.at_level(logging.WARNING, logger="app.sla.calendar"):
        for _ in range(3):
            cal = WorkingCalendar()  # new instances share the process-wide "already warned" set
            cal.add_working_days(sh(2027, 3, 1), 5)
            cal.is_workday(D(2030, 1, 1))
    messages = [r.getMessage() for r in caplog.records if r.name == "app.sla.calendar"]
    assert len([m for m in messages if "2027" in m]) == 1
    assert len([m for m in messages if "2030" in m]) == 1


def test_override_turns_weekday_into_holiday() -> None:
    # Tuesday 2026-03-10 declared a rest day (e.g. a local emergency): 3 wd from Mon 03-09 shifts by one.
    plain = WorkingCalendar()
    cal = WorkingCalendar({D(2026, 3, 10): False})
    assert plain.add_working_days(sh(2026, 3, 9, 9), 3) == eod(2026, 3, 12)
    assert cal.add_working_days(sh(2026, 3, 9, 9), 3) == eod(2026, 3, 13)
    assert not cal.is_workday(D(2026, 3, 10))


def test_override_turns_weekend_into_workday() -> None:
    cal = WorkingCalendar({D(2026, 3, 7): True})  # Saturday
    assert cal.add_working_days(sh(2026, 3, 6, 9), 1) == eod(2026, 3, 7)


def test_override_for_2027_is_used_and_marks_the_year_covered() -> None:
    # An admin enters the 2027 New Year notice: 01-01 off, Saturday 01-02 a make-up workday.
    cal = WorkingCalendar({D(2027, 1, 1): False, D(2027, 1, 2): True})
    assert cal.covers(2027)
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 1, 2))
    # 12-29, 12-30, 12-31, then the 4th working day: 01-01 by Mon–Fri fallback, 01-02 with the notice.
    assert WorkingCalendar().add_working_days(sh(2026, 12, 28, 9), 4) == eod(2027, 1, 1)
    assert cal.add_working_days(sh(2026, 12, 28, 9), 4) == eod(2027, 1, 2)
    assert cal.missing_years == set()  # an entered notice is not a degraded calendar


def test_workday_only_override_does_not_count_as_coverage() -> None:
    cal = WorkingCalendar({D(2027, 1, 2): True})
    assert not cal.covers(2027)
    cal.is_workday(D(2027, 1, 5))
    assert cal.missing_years == {2027}


def test_overrides_are_copied() -> None:
    src = {D(2026, 3, 10): False}
    cal = WorkingCalendar(src)
    src[D(2026, 3, 10)] = True
    assert not cal.is_workday(D(2026, 3, 10))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 2, 12), D(2026, 2, 25), 4),  # 13, 14 (Sat make-up), 24, 25
        (D(2026, 2, 25), D(2026, 2, 12), 0),
        (D(2026, 2, 25), D(2026, 2, 25), 0),
        (D(2026, 9, 30), D(2026, 10, 10), 3),  # 10-08, 10-09, 10-10
        (D(2026, 3, 6), D(2026, 3, 9), 1),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert WorkingCalendar().working_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2026, 2, 13), D(2026, 2, 13)),
        (D(2026, 2, 15), D(2026, 2, 24)),
        (D(2026, 10, 1), D(2026, 10, 8)),
        (D(2026, 3, 7), D(2026, 3, 9)),
    ],
)
def test_next_workday(d: date, expected: date) -> None:
    assert WorkingCalendar().next_workday(d) == expected


# —— properties ————————————————————————————————————————————————————————————————————————
# Range spans covered years and the 2027 fallback, in Shanghai and UTC offsets.
starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([SHANGHAI, UTC]),
)
ns = st.integers(min_value=1, max_value=30)
CAL = WorkingCalendar()  # shared: its answers do not depend on call history


@settings(max_examples=200, deadline=None, database=None)
@given(start=starts, n=ns)
def test_result_is_end_of_a_workday_after_start(start: datetime, n: int) -> None:
    got = CAL.add_working_days(start, n)
    local = got.astimezone(SHANGHAI)
    assert CAL.is_workday(local.date())
    assert local.time() == time(23, 59, 59)
    assert got > start
    local_start = start.astimezone(SHANGHAI).date()
    assert CAL.working_days_between(local_start, local.date()) == n


@settings(max_examples=200, deadline=None, database=None)
@given(start=starts, n=st.integers(min_value=0, max_value=30))
def test_monotonic_in_n(start: datetime, n: int) -> None:
    earlier, later = CAL.add_working_days(start, n), CAL.add_working_days(start, n + 1)
    # n == 0 on a rest day already lands on the next workday, which is also where n == 1 lands.
    assert earlier < later if n >= 1 else earlier <= later


@settings(max_examples=200, deadline=None, database=None)
@given(a=starts, delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), n=ns)
def test_monotonic_in_start(a: datetime, delta: timedelta, n: int) -> None:
    assert CAL.add_working_days(a, n) <= CAL.add_working_days(a + delta, n)


@settings(max_examples=100, deadline=None, database=None)
@given(start=starts)
def test_zero_days_is_end_of_first_workday_on_or_after_start(start: datetime) -> None:
    got = CAL.add_working_days(start, 0).astimezone(SHANGHAI)
    assert got.date() == CAL.next_workday(start.astimezone(SHANGHAI).date())
