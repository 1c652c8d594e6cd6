"""Statistics periods in Asia/Shanghai: query bounds, ISO weeks, week/month buckets, day numbers. Pure.

A period is a half-open UTC interval [start, end). Dates given by users are local (Asia/Shanghai) calendar days:
`from=2026-11-01&to=2026-11-30` covers all of November (a date `to` is inclusive; a datetime `to` is exclusive).
Day numbers count local days since 1970-01-01; Asia/Shanghai has kept UTC+8 without DST since 1991, which the
SQL side relies on (app/stats/queries.py).

Every bound a user gives lies in app.core.validation's calendar (2000-01-01..2100-12-31), checked before any
arithmetic: Python's dates end at 9999-12-31, so `to=9999-12-31` (whose end is the next midnight) or
`week=9999-W52` would otherwise overflow, and no computation here may raise anything but InvalidInput.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from app.core.time import SHANGHAI
from app.core.validation import CALENDAR_MESSAGE, MAX_DATE, MIN_DATE, in_calendar
from app.errors import InvalidInput
from app.sla.calendar import WorkingCalendar

EPOCH = date(1970, 1, 1)
MAX_SPAN_DAYS = 3660  # ten years: bounds the SQL and the working-day table


class Bucket(StrEnum):
    week = "week"
    month = "month"


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware UTC
    end: datetime  # exclusive, aware UTC

    @property
    def first_day(self) -> date:
        return self.start.astimezone(SHANGHAI).date()

    @property
    def whole_days(self) -> bool:
        """Both bounds are Asia/Shanghai midnights, so the daily rollup answers for the period exactly."""
        return all(t.astimezone(SHANGHAI).time() == time(0) for t in (self.start, self.end))

    @property
    def last_day(self) -> date:
        """The local date of the last instant inside the period."""
        return (self.end - timedelta(microseconds=1)).astimezone(SHANGHAI).date()


def local_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=number)


def _as_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    return local_midnight(value)


def _as_end(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    return local_midnight(value + timedelta(days=1))  # a date `to` includes that whole day


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bound(value: str | None, field: str) -> date | datetime | None:
    """'2026-11-02' → a local date; an ISO 8601 datetime (offset optional, local if absent) → that instant.

    A '+' in a query string arrives as a space when the client did not encode it ('…T00:00:00 08:00'); that one
    case is repaired instead of refused.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        if _DATE.match(text):
            parsed: date | datetime = date.fromisoformat(text)
        else:
            if len(text) > 19 and text[-6] == " ":
                text = text[:-6] + "+" + text[-5:]
            if "T" not in text and " " not in text:
                raise ValueError
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput.field(field, "应为日期 2026-11-02 或带时区的时间 2026-11-02T09:00:00+08:00") from None
    if not in_calendar(parsed):
        raise InvalidInput.field(field, CALENDAR_MESSAGE)
    return parsed


def resolve_period(start: str | None, end: str | None, *, now: datetime) -> Period:
    """Defaults: `to` = today (local, whole day), `from` = 1 January of that year. 422 for an empty or over-long
    period."""
    start, end = parse_bound(start, "query.from"), parse_bound(end, "query.to")  # type: ignore[assignment]
    end_at = _as_end(end if end is not None else now.astimezone(SHANGHAI).date())  # type: ignore[arg-type]
    if start is not None:
        start_at = _as_start(start)  # type: ignore[arg-type]
    else:
        # 1 January of the year of the last instant; never before the calendar (`to=2000-01-01T00:00` ends in 1999).
        first = date((end_at - timedelta(microseconds=1)).astimezone(SHANGHAI).year, 1, 1)
        start_at = local_midnight(max(first, MIN_DATE))
    if start_at >= end_at:
        raise InvalidInput.field("query.from", "统计起始时间必须早于截止时间 (from must be before to)")
    if end_at - start_at > timedelta(days=MAX_SPAN_DAYS):
        raise InvalidInput.field("query.to", f"统计区间不能超过 {MAX_SPAN_DAYS} 天 (period too long)")
    return Period(start_at, end_at)


_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(value: str) -> tuple[Period, str]:
    """'2026-W47' → (Monday 00:00 to next Monday 00:00, local), normalised label. 422 if malformed."""
    match = _ISO_WEEK.match(value.strip())
    try:
        if not match:
            raise ValueError
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput.field("query.week", "周次格式应为 YYYY-Www，例如 2026-W47 (ISO week)") from None
    if not in_calendar(monday):
        raise InvalidInput.field("query.week", f"周次必须在 {FIRST_WEEK} 至 {LAST_WEEK} 之间 (week out of range)")
    return Period(local_midnight(monday), local_midnight(monday + timedelta(days=7))), week_label(monday)


def week_label(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


# The weeks whose Monday lies in the calendar.
FIRST_WEEK = week_label(MIN_DATE + timedelta(days=(7 - MIN_DATE.weekday()) % 7))
LAST_WEEK = week_label(MAX_DATE)


def current_week(now: datetime) -> str:
    return week_label(now.astimezone(SHANGHAI).date())


@dataclass(frozen=True)
class BucketSpan:
    label: str
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive


def bucket_spans(period: Period, kind: Bucket) -> list[BucketSpan]:
    """Consecutive weeks (Monday first) or calendar months touching the period, oldest first."""
    spans: list[BucketSpan] = []
    day, last = period.first_day, period.last_day
    if kind is Bucket.week:
        day -= timedelta(days=day.weekday())
        while day <= last:
            spans.append(BucketSpan(week_label(day), day, day + timedelta(days=6)))
            day += timedelta(days=7)
        return spans
    day = day.replace(day=1)
    while day <= last:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        spans.append(BucketSpan(f"{day.year}-{day.month:02d}", day, following - timedelta(days=1)))
        day = following
    return spans


def workday_index(calendar: WorkingCalendar, first: date, last: date) -> list[int]:
    """W[i] = working days in (first, first + i]; so working days in (c, r] = W[r - first] - W[c - first]."""
    index, count, day = [0], 0, first
    while day < last:
        day += timedelta(days=1)
        count += calendar.is_workday(day)
        index.append(count)
    return index
