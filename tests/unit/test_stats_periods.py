"""Pure parts of the statistics: periods, buckets, the working-day table, rates, the bulletin text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.errors import InvalidInput
from app.sla.calendar import WorkingCalendar
from app.stats import bulletin
from app.stats.figures import Counts, rates, ratio
from app.stats.periods import (
    Bucket,
    Period,
    bucket_spans,
    iso_week,
    local_midnight,
    resolve_period,
    workday_index,
)

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)  # Monday 12:00 Shanghai


class TestPeriods:
    def test_dates_are_local_and_to_is_inclusive(self) -> None:
        p = resolve_period("2026-11-02", "2026-11-15", now=NOW)
        assert p.start == datetime(2026, 11, 1, 16, tzinfo=UTC) and p.end == datetime(2026, 11, 15, 16, tzinfo=UTC)
        assert (p.first_day, p.last_day) == (date(2026, 11, 2), date(2026, 11, 15))

    def test_datetimes_are_instants_and_to_is_exclusive(self) -> None:
        p = resolve_period("2026-11-02T08:00:00+08:00", "2026-11-03T00:00:00Z", now=NOW)
        assert p.start == datetime(2026, 11, 2, 0, tzinfo=UTC) and p.end == datetime(2026, 11, 3, tzinfo=UTC)
        naive = resolve_period("2026-11-02T08:00:00", None, now=NOW)
        assert naive.start == datetime(2026, 11, 2, 0, tzinfo=UTC) and naive.end == local_midnight(date(2026, 11, 17))

    def test_default_is_year_to_date(self) -> None:
        assert resolve_period(None, None, now=NOW) == Period(local_midnight(date(2026, 1, 1)),
                                                             local_midnight(date(2026, 11, 17)))
        # New Year's Day in Shanghai is still 2025-12-31 in UTC: the year is the local one.
        jan1 = datetime(2025, 12, 31, 17, tzinfo=UTC)
        assert resolve_period(None, None, now=jan1).first_day == date(2026, 1, 1)

    @pytest.mark.parametrize(("start", "end", "field"), [
        ("2026-11-03", "2026-11-02", "query.from"), ("2010-01-01", "2026-11-02", "query.to"),
        ("11/02/2026", None, "query.from"), (None, "2026-02-30", "query.to"), ("2026-11-02T25:00", None, "query.from"),
    ])
    def test_invalid(self, start: str | None, end: str | None, field: str) -> None:
        with pytest.raises(InvalidInput) as info:
            resolve_period(start, end, now=NOW)
        assert info.value.errors[0].field == field

    def test_iso_week(self) -> None:
        period, label = iso_week("2026-W01")
        assert label == "2026-W01" and (period.first_day, period.last_day) == (date(2025, 12, 29), date(2026, 1, 4))

    def test_week_buckets_start_on_monday(self) -> None:
        spans = bucket_spans(resolve_period("2026-11-04", "2026-11-16", now=NOW), Bucket.week)
        assert [(s.label, s.first_day, s.last_day) for s in spans] == [
            ("2026-W45", date(2026, 11, 2), date(2026, 11, 8)), ("2026-W46", date(2026, 11, 9), date(2026, 11, 15)),
            ("2026-W47", date(2026, 11, 16), date(2026, 11, 22))]

    def test_month_buckets_cross_the_year(self) -> None:
        spans = bucket_spans(resolve_period("2025-11-15", "2026-02-01", now=NOW), Bucket.month)
        assert [s.label for s in spans] == ["2025-11", "2025-12", "2026-01", "2026-02"]
        assert spans[1].last_day == date(2025, 12, 31) and spans[3].last_day == date(2026, 2, 28)


def test_workday_index_matches_the_official_calendar_across_national_day() -> None:
    calendar = WorkingCalendar()
    first = date(2026, 9, 20)
    index = workday_index(calendar, first, date(2026, 10, 31))
    for c in range(20):
        for r in range(c, 40, 3):
            start, end = first + timedelta(days=c), first + timedelta(days=r)
            assert index[r] - index[c] == calendar.working_days_between(start, end), (start, end)


class TestRates:
    def test_ratio(self) -> None:
        assert ratio(0, 0) is None and ratio(2, 3) == 0.6667 and ratio(3, 3) == 1.0

    def test_all_undefined_without_appeals(self) -> None:
        assert all(v is None for v in vars(rates(Counts())).values())

    def test_counts_add(self) -> None:
        total = Counts(collected=2, working_days=5) + Counts(collected=1, resolved=1)
        assert (total.collected, total.resolved, total.working_days) == (3, 1, 5)
        assert rates(Counts(collected=4, resolved=2, working_days=7)).avg_working_days_to_resolve == 3.5


def test_bulletin_without_appeals_reads_well() -> None:
    text = bulletin.render(bulletin.BulletinInput(
        unit_name="西溪街道", week_label="2026-W47", first_day=date(2026, 11, 16), last_day=date(2026, 11, 22),
        week=Counts(), week_by_category={}, week_by_urgency={}, year=Counts(), year_by_status={}, ranking=[],
    ))
    assert "本周收集企业诉求0个，解决0个，解决率暂无" in text
    assert "今年收集的诉求中，目前仍在办理的0个。" in text and "## 三、工作提示" in text and "运行平稳" in text
    assert bulletin.percent(0.9178) == "91.8%" and bulletin.percent(None) == "暂无"
