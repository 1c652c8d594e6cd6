"""China's official working-day calendar, as SLA clocks need it (DESIGN §4).

Pure: no I/O, no clock. Three sources, in this order:

1. an admin-editable override table (date -> workday?), because a new year's State Council notice
   arrives around November and has to be usable the same day, before a library release;
2. ``chinese_calendar`` (1.11.0 covers 2004–2026, including make-up workdays 调休);
3. Monday–Friday, for years neither of the above knows. That is a degraded answer, so the year is
   recorded in ``missing_years`` (for ``/readyz``) and a warning is logged once per year per process.
   We never raise: an appeal filed in late December must still get a deadline in January.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from app.core.time import SHANGHAI  # noqa: F401  # one definition; re-exported where it was

END_OF_DAY = time(23, 59, 59)  # "N working days from t" ends at 23:59:59 local (DESIGN §4)

logger = logging.getLogger("app.sla.calendar")

# Module-level on purpose: many WorkingCalendar instances are built (one per request/sweep), but ops
# want one warning per missing year per process, not one per call.
_warned_years: set[int] = set()
_warned_lock = threading.Lock()

# The library's own coverage, read from its data rather than hard-coded, so a version bump each
# November extends it without a code change. (Its validator uses the same min/max of `holidays`.)
_LIB_MIN_YEAR: int = min(chinese_calendar.holidays).year
_LIB_MAX_YEAR: int = max(chinese_calendar.holidays).year


@functools.lru_cache(maxsize=16384)
def _lib_is_workday(d: date) -> bool:
    """The package's answer; its data never changes within a process, and deadlines ask about the same few
    weeks over and over (every intake walks 3–20 working days ahead)."""
    return bool(chinese_calendar.is_workday(d))


def _warn_missing_year(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    logger.warning(
        "working-day calendar has no data for %d (chinese_calendar covers %d-%d, no admin override); "
        "falling back to Monday-Friday",
        year,
        _LIB_MIN_YEAR,
        _LIB_MAX_YEAR,
    )


def local_date(t: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant."""
    _require_aware(t)
    return t.astimezone(SHANGHAI).date()


def end_of_local_day(d: date) -> datetime:
    """23:59:59 Asia/Shanghai on ``d``, as an aware UTC datetime (we store UTC, DESIGN §8)."""
    return datetime.combine(d, END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)


def _require_aware(t: datetime) -> None:
    # A naive datetime would silently be read as server-local time; refuse it instead.
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {t!r}")


class WorkingCalendar:
    """Answers "is this a working day?" and does working-day arithmetic.

    ``overrides``: True = workday, False = rest day; checked before everything else.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        # Copy so a caller mutating its dict later cannot change answers already given.
        self._overrides: dict[date, bool] = dict(overrides or {})
        # An admin who entered at least one holiday for a year has entered that year's notice
        # (a notice always names holidays); Mon–Fri for the other days is then the real rule.
        self._override_holiday_years: frozenset[int] = frozenset(
            d.year for d, workday in self._overrides.items() if not workday
        )
        self.missing_years: set[int] = set()

    def covers(self, year: int) -> bool:
        """True if the official calendar for ``year`` is known (library data or an admin notice)."""
        return _LIB_MIN_YEAR <= year <= _LIB_MAX_YEAR or year in self._override_holiday_years

    def is_workday(self, d: date) -> bool:
        if isinstance(d, datetime):  # a datetime is a date subclass; its date part is meant
            d = d.date()
        override = self._overrides.get(d)
        if override is not None:
            return override
        if _LIB_MIN_YEAR <= d.year <= _LIB_MAX_YEAR:
            return _lib_is_workday(d)
        if d.year not in self._override_holiday_years:
            # Degraded: nobody told us this year's holidays. Recorded for /readyz, never raised.
            self.missing_years.add(d.year)
            _warn_missing_year(d.year)
        return d.weekday() < 5

    def next_workday(self, d: date) -> date:
        """The first workday on or after ``d``."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def nth_workday_after(self, d: date, n: int) -> date:
        """The ``n``-th workday strictly after ``d`` (n >= 1); ``n == 0`` means next_workday(d)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return self.next_workday(d)
        remaining = n
        while remaining:
            d += timedelta(days=1)
            if self.is_workday(d):
                remaining -= 1
        return d

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End (23:59:59 Shanghai) of the ``n``-th working day strictly after ``start``'s local date.

        The time of day of ``start`` does not matter: something filed Friday 23:30 and Friday 08:00
        both get "1 working day" = end of Monday (if Monday is a workday). Returned in UTC.
        ``n == 0`` = end of the start's local day if it is a workday, else of the next workday.
        """
        _require_aware(start)
        return end_of_local_day(self.nth_workday_after(local_date(start), n))

    def working_days_between(self, start: date, end: date) -> int:
        """Number of workdays ``d`` with ``start < d <= end``; 0 if ``end <= start``."""
        count = 0
        d = start
        while d < end:
            d += timedelta(days=1)
            if self.is_workday(d):
                count += 1
        return count
