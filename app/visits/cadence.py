"""Visit cadence (走访频次) as data, and whether a paired enterprise is overdue for a visit (DESIGN §11). Pure.

Days are **calendar days**, not working days: DESIGN §11 speaks of days ("not visited within its days"), and a
cadence of "every 30 days" is how the programme states it; the working-day calendar is for appeal SLAs (§4).
All dates are Asia/Shanghai calendar dates; the caller converts instants (a pairing's start time) first.

The clock of a paired enterprise starts at its last visit, or at the start of the current pairing if there was
no visit since then: the later of the two. So a cadre paired today is not overdue on day one because of a visit
somebody else made a year ago, and a visit made before the pairing still counts when it is the more recent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from app.enums import KeyLevel

__all__ = [
    "DEFAULT_BY_KEY_LEVEL",
    "MAX_DAYS",
    "InvalidVisitPolicy",
    "VisitPolicy",
    "VisitStatus",
    "due_days",
    "policy_problems",
    "visit_status",
]

DEFAULT_DAYS = 30
DEFAULT_BY_KEY_LEVEL: Mapping[str, int] = MappingProxyType({"city": 14, "district": 21, "street": 30})
# A cadence longer than a year is a typo (3650 for 365), not a policy: nobody would ever be overdue.
MAX_DAYS = 366


def _days_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "天数应为整数 (must be an integer)"
    if value < 1:
        return f"天数应为正整数，实际为 {value} (must be positive)"
    if value > MAX_DAYS:
        return f"天数不能超过 {MAX_DAYS}，实际为 {value} (at most {MAX_DAYS})"
    return None


def policy_problems(default_days: object, by_key_level: object) -> list[tuple[str, str]]:
    """Every problem at once as (field, Chinese message); the field is the path in the request body."""
    problems: list[tuple[str, str]] = []
    if (message := _days_problem(default_days)) is not None:
        problems.append(("default_days", message))
    if not isinstance(by_key_level, Mapping):
        problems.append(("by_key_level", "应为重点企业级别到天数的映射 (must be an object)"))
        return problems
    known = ", ".join(level.value for level in KeyLevel)
    for level, days in by_key_level.items():
        if level not in KeyLevel.__members__:
            problems.append((f"by_key_level.{level}", f"未知的重点企业级别 {level!r}，应为 {known} 之一 "
                                                      "(unknown key level)"))
        elif (message := _days_problem(days)) is not None:
            problems.append((f"by_key_level.{level}", message))
    return problems


class InvalidVisitPolicy(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("；".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class VisitPolicy:
    """`default_days` for enterprises that are not 重点企业 (or whose level is not listed); `by_key_level` for
    the listed levels. Validated on construction: an invalid policy cannot exist."""

    default_days: int = DEFAULT_DAYS
    by_key_level: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BY_KEY_LEVEL))

    def __post_init__(self) -> None:
        if problems := policy_problems(self.default_days, self.by_key_level):
            raise InvalidVisitPolicy(problems)
        # Frozen all the way down: a shared policy must not be changed behind its users' backs.
        object.__setattr__(self, "by_key_level", MappingProxyType(dict(self.by_key_level)))

    def as_dict(self) -> dict[str, object]:
        """The wire shape of GET/PUT /api/v1/visit-policy."""
        return {"default_days": self.default_days, "by_key_level": dict(self.by_key_level)}


def due_days(policy: VisitPolicy, key_level: str | None) -> int:
    """The enterprise's cadence: its key level's days, else the default."""
    if key_level is None:
        return policy.default_days
    return policy.by_key_level.get(key_level, policy.default_days)


class VisitStatus(NamedTuple):
    overdue: bool
    next_due_on: date | None  # None: no clock (never visited and not paired)
    days_since: int | None  # calendar days since the last visit; None: never visited


def _plain_date(name: str, value: date | None) -> date | None:
    # datetime is a date subclass; subtracting it from a date fails later, and cutting it to a date here would
    # silently use its own timezone. The caller knows the zone (Asia/Shanghai): it converts.
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date (Asia/Shanghai calendar day), not a datetime")
    return value


def visit_status(policy: VisitPolicy, key_level: str | None, last_visited_on: date | None,
                 paired_since: date | None, today: date) -> VisitStatus:
    """Overdue when the clock's start (the later of the last visit and the start of the current pairing) is
    more than the enterprise's days before `today`. Due on start + days; overdue from the day after.

    `paired_since` is the start date of the **current** pairing, None when the enterprise is not paired now.
    Only a paired enterprise can be overdue (DESIGN §11: "a paired enterprise not visited within its days");
    an unpaired one still gets `days_since` and, if it was ever visited, the date a visit would be due.
    """
    last = _plain_date("last_visited_on", last_visited_on)
    paired = _plain_date("paired_since", paired_since)
    _plain_date("today", today)
    starts = [d for d in (last, paired) if d is not None]
    days_since = None if last is None else (today - last).days
    if not starts:
        return VisitStatus(overdue=False, next_due_on=None, days_since=days_since)
    next_due_on = max(starts) + timedelta(days=due_days(policy, key_level))
    return VisitStatus(overdue=paired is not None and today > next_due_on, next_due_on=next_due_on,
                       days_since=days_since)
