"""The daily rollup answers exactly what the live aggregate answers, and follows every write to `appeal`."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.appeals.models import Appeal
from app.auth.service import authenticate_api_key
from app.stats import rollup, service
from app.stats.models import appeal_stats_day, appeal_stats_dirty
from app.stats.periods import resolve_period
from tests.stats.dataset import NOW, seed, t


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    return seed(city)


def principal(session, keys, name="city"):  # type: ignore[no-untyped-def]
    return authenticate_api_key(session, keys[name]["Authorization"].split()[1])


def both_ways(session, keys, unit_code, start, end):  # type: ignore[no-untyped-def]
    scope = service.scope_for(session, principal(session, keys), unit_code)
    period = resolve_period(start, end, now=NOW)
    assert period.whole_days
    return (service._aggregate(session, scope, period, now=NOW),
            service._aggregate(session, scope, period, now=NOW, live=True))


@pytest.mark.parametrize(("unit", "start", "end"), [
    (None, "2026-11-02", "2026-11-15"), (None, "2026-11-01", "2026-11-16"), ("330105", "2026-11-01", "2026-11-30"),
    ("330106012", "2026-11-03", "2026-11-03"), ("330109", "2026-01-01", "2026-12-31"),
])
def test_rollup_equals_live(city, keys, data, unit, start, end):
    fast, live = both_ways(city, keys, unit, start, end)
    assert fast.total == live.total
    assert fast.by_dimension == live.by_dimension
    assert [(u.code, c) for u, c in fast.by_unit] == [(u.code, c) for u, c in live.by_unit]


def test_timeseries_rollup_equals_live(city, keys, data):
    scope = service.scope_for(city, principal(city, keys), None)
    period = resolve_period("2026-10-30", "2026-11-20", now=NOW)
    fast = service._per_day(city, scope, period, now=NOW)
    live = service._per_day(city, scope, period, now=NOW, live=True)  # (no working days: the series has none)
    assert {day: replace(c, working_days=0) for day, c in fast.items()} == live
    assert sum(c.collected for c in fast.values()) == 12


def test_rollup_follows_writes_from_any_code_path(client, city, keys, data):
    def figures():  # type: ignore[no-untyped-def]
        body = client.get("/api/v1/stats/summary", params={"from": "2026-11-02", "to": "2026-11-15"},
                          headers=keys["city"]).json()
        return body["resolved"], body["by_status"]["submitted"], body["first_response_on_time_rate"]

    assert figures() == (4, 2, 0.7143)
    assert city.execute(sa.select(sa.func.count()).select_from(appeal_stats_dirty)).scalar() == 0
    # A Core UPDATE, as a sweeper would issue it: A6 signed for late and resolved.
    city.execute(sa.update(Appeal).where(Appeal.id == data["A6"].id).values(  # type: ignore[arg-type]
        status="resolved", responded_at=t(11, 16, 9), resolved_at=t(11, 16, 10)))
    city.commit()
    assert figures() == (5, 1, 0.7143)  # A6 moves from overdue-unanswered to answered late: 5 / 7 either way
    # A change the figures do not read marks nothing.
    city.execute(sa.update(Appeal).where(Appeal.id == data["A7"].id).values(sla_state="due_soon"))  # type: ignore[arg-type]
    city.commit()
    assert city.execute(sa.select(sa.func.count()).select_from(appeal_stats_dirty)).scalar() == 0
    # Deleting and moving appeals between days and streets.
    city.execute(sa.update(Appeal).where(Appeal.id == data["A1"].id).values(created_at=t(10, 30)))  # type: ignore[arg-type]
    city.commit()
    assert figures()[0] == 4
    city.commit()


def test_refresh_recomputes_only_dirty_buckets_and_rebuild_agrees(city, keys, data):
    assert rollup.refresh(city, now=NOW) > 0  # the seed's buckets
    assert rollup.refresh(city, now=NOW) == 0
    appeal = city.exec(select(Appeal).where(Appeal.id == data["A2"].id)).one()
    appeal.rating = "satisfied"
    city.add(appeal)
    city.commit()
    assert rollup.refresh(city, now=NOW) == 1
    before = city.execute(sa.select(appeal_stats_day).order_by(appeal_stats_day.c.day,
                                                               appeal_stats_day.c.street_unit_id)).all()
    rollup.rebuild(city, now=NOW)
    after = city.execute(sa.select(appeal_stats_day).order_by(appeal_stats_day.c.day,
                                                              appeal_stats_day.c.street_unit_id)).all()
    city.commit()
    assert before == after and len(after) == 12  # one bucket per (day, street) of the data set


def test_departments_are_counted_by_the_cases_they_handle(client, keys, city, data):
    from app.units.models import Unit

    department = city.exec(select(Unit).where(Unit.code == "330106-RLSB")).one()  # 西湖区人力社保局
    a = city.exec(select(Appeal).where(Appeal.id == data["A3"].id)).one()
    a.unit_id, a.tier = department.id, "district"  # type: ignore[assignment]
    city.add(a)
    city.commit()
    body = client.get("/api/v1/stats/summary", params={"from": "2026-11-02", "to": "2026-11-15",
                                                       "unit": "330106-RLSB"}, headers=keys["xihu"]).json()
    assert (body["collected"], body["resolved"], body["by_unit"]) == (1, 1, [])
