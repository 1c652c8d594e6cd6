"""Visit cadence (DESIGN §11): the policy as data, days per key level, overdue with and without visits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.visits.cadence import (
    InvalidVisitPolicy,
    VisitPolicy,
    VisitStatus,
    due_days,
    policy_problems,
    visit_status,
)

POLICY = VisitPolicy()
TODAY = date(2026, 3, 31)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_defaults_match_design() -> None:
    assert POLICY.as_dict() == {"default_days": 30, "by_key_level": {"city": 14, "district": 21, "street": 30}}


@pytest.mark.parametrize(("key_level", "days"), [("city", 14), ("district", 21), ("street", 30), (None, 30)])
def test_due_days_per_key_level(key_level: str | None, days: int) -> None:
    assert due_days(POLICY, key_level) == days


def test_unlisted_level_falls_back_to_default() -> None:
    policy = VisitPolicy(default_days=45, by_key_level={"city": 7})
    assert [due_days(policy, k) for k in ("city", "district", "street", None)] == [7, 45, 45, 45]


# (key level, last visit days ago, paired days ago, overdue, next due in days from today, days since)
CASES = [
    # never visited: the clock starts at the pairing
    ("city", None, 14, False, 0, None),  # due today, not yet overdue
    ("city", None, 15, True, -1, None),  # one day late
    ("district", None, 21, False, 0, None),
    ("district", None, 22, True, -1, None),
    (None, None, 30, False, 0, None),
    (None, None, 31, True, -1, None),
    ("street", None, 0, False, 30, None),  # paired today
    # visited during the pairing: the clock starts at the last visit
    ("city", 14, 100, False, 0, 14),
    ("city", 15, 100, True, -1, 15),
    ("district", 3, 400, False, 18, 3),
    (None, 0, 90, False, 30, 0),  # visited today
    ("street", 31, 60, True, -1, 31),
    # a visit before the pairing: the new pairing gets its full days
    ("city", 200, 10, False, 4, 200),
    ("city", 200, 20, True, -6, 200),
    # not paired now: never overdue, whatever the dates
    ("city", 100, None, False, -86, 100),
    (None, None, None, False, None, None),
]


@pytest.mark.parametrize(("key_level", "visited", "paired", "overdue", "due_in", "since"), CASES)
def test_visit_status(key_level: str | None, visited: int | None, paired: int | None, overdue: bool,
                      due_in: int | None, since: int | None) -> None:
    status = visit_status(POLICY, key_level, None if visited is None else days_ago(visited),
                          None if paired is None else days_ago(paired), TODAY)
    expected_due = None if due_in is None else TODAY + timedelta(days=due_in)
    assert status == VisitStatus(overdue=overdue, next_due_on=expected_due, days_since=since)
    assert status.overdue is overdue


def test_calendar_days_not_working_days() -> None:
    # Paired on the Friday before Spring Festival 2026 (holiday 2-15 … 2-23): 14 calendar days later is due,
    # although only a handful of working days have passed.
    status = visit_status(POLICY, "city", None, date(2026, 2, 13), date(2026, 2, 28))
    assert status == VisitStatus(True, date(2026, 2, 27), None)


def test_month_and_year_boundaries() -> None:
    status = visit_status(POLICY, "district", date(2025, 12, 20), date(2025, 1, 1), date(2026, 1, 10))
    assert status == VisitStatus(False, date(2026, 1, 10), 21)


def test_custom_policy_changes_the_verdict() -> None:
    strict = VisitPolicy(default_days=7, by_key_level={"city": 3})
    assert visit_status(strict, "city", days_ago(4), days_ago(30), TODAY).overdue
    assert not visit_status(POLICY, "city", days_ago(4), days_ago(30), TODAY).overdue
    assert visit_status(strict, None, days_ago(8), days_ago(30), TODAY).overdue


def test_datetimes_are_refused() -> None:
    # The caller converts instants to Asia/Shanghai dates; the rule does not guess a timezone.
    with pytest.raises(TypeError, match="paired_since"):
        visit_status(POLICY, None, None, datetime(2026, 3, 1, 8), TODAY)
    with pytest.raises(TypeError, match="last_visited_on"):
        visit_status(POLICY, None, datetime(2026, 3, 1, 8), TODAY, TODAY)


@pytest.mark.parametrize(("default_days", "by_key_level", "problems"), [
    (30, {"city": 14}, []),
    (0, {}, [("default_days", "天数应为正整数，实际为 0 (must be positive)")]),
    (-5, {}, [("default_days", "天数应为正整数，实际为 -5 (must be positive)")]),
    (367, {}, [("default_days", "天数不能超过 366，实际为 367 (at most 366)")]),
    (True, {}, [("default_days", "天数应为整数 (must be an integer)")]),
    ("30", {}, [("default_days", "天数应为整数 (must be an integer)")]),
    (30, {"province": 7}, [("by_key_level.province",
                            "未知的重点企业级别 'province'，应为 city, district, street 之一 (unknown key level)")]),
    (30, {"city": 0, "street": 2.5}, [("by_key_level.city", "天数应为正整数，实际为 0 (must be positive)"),
                                      ("by_key_level.street", "天数应为整数 (must be an integer)")]),
    (30, [14], [("by_key_level", "应为重点企业级别到天数的映射 (must be an object)")]),
])
def test_policy_problems(default_days: object, by_key_level: object, problems: list[tuple[str, str]]) -> None:
    assert policy_problems(default_days, by_key_level) == problems


def test_invalid_policy_cannot_be_built() -> None:
    with pytest.raises(InvalidVisitPolicy) as caught:
        VisitPolicy(default_days=0, by_key_level={"province": 7})
    assert [name for name, _ in caught.value.problems] == ["default_days", "by_key_level.province"]
    assert isinstance(caught.value, ValueError)


def test_policy_is_frozen_and_copies_its_mapping() -> None:
    levels = {"city": 10}
    policy = VisitPolicy(by_key_level=levels)
    levels["city"] = 99
    assert due_days(policy, "city") == 10
    with pytest.raises(TypeError):
        policy.by_key_level["city"] = 1  # type: ignore[index]
