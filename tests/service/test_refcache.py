"""The process cache of reference data (app.core.refcache): what this process writes is seen at once, what another
process writes is seen within the expiry, a cleared cache never keeps a value loaded before the clear, and the
send counters the dispatcher bumps on every message do not clear it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.auth.models import ApiKey, User
from app.core import refcache
from app.errors import Unauthenticated
from app.notifications.models import Channel
from app.sla import service as sla_service
from app.sla.models import SlaPolicyRecord
from app.sla.schemas import CalendarYearIn
from app.units.models import Unit

pytestmark = pytest.mark.db


class Ticks:
    """The monotonic clock the cache reads, moved by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def ticks(db: Engine) -> Iterator[Ticks]:
    refcache.configure(db, 5.0)
    yield Ticks()
    refcache.configure(db, refcache.DEFAULT_SECONDS)


def _policy_row(version: int, clock) -> SlaPolicyRecord:  # type: ignore[no-untyped-def]
    return SlaPolicyRecord(urgency="red", version=version, rating_window_days=3,
                           durations={"respond": {"amount": 1, "unit": "hours"},
                                      "resolve": {"amount": 2, "unit": "working_days"}},
                           changed_by="test", created_at=clock.now)


def test_value_is_reused_until_it_expires(session: Session, ticks: Ticks):
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert refcache.cached(session, ("k",), load, now=ticks) == 1
    ticks.value += 4.9
    assert refcache.cached(session, ("k",), load, now=ticks) == 1
    assert refcache.peek(session, ("k",), now=ticks) == 1
    ticks.value += 0.2
    assert refcache.peek(session, ("k",), now=ticks) is None
    assert refcache.cached(session, ("k",), load, now=ticks) == 2


def test_a_value_loaded_across_a_clear_is_not_kept(session: Session, db: Engine, ticks: Ticks):
    def load_then_someone_commits() -> str:
        refcache.clear(db)  # another thread's commit of reference data lands while this load runs
        return "maybe stale"

    assert refcache.cached(session, ("k",), load_then_someone_commits, now=ticks) == "maybe stale"
    assert refcache.peek(session, ("k",), now=ticks) is None


def test_zero_seconds_turns_it_off(session: Session, db: Engine):
    refcache.configure(db, 0)
    try:
        calls = [refcache.cached(session, ("k",), lambda: object()) for _ in range(2)]
        assert calls[0] is not calls[1]
    finally:
        refcache.configure(db, refcache.DEFAULT_SECONDS)


def test_another_process_write_is_seen_within_the_expiry(city: Session, db: Engine, clock, ticks: Ticks):
    city.commit()  # the seeded city is reference data: its commit clears the cache
    first = refcache.cached(city, ("sla_policy", "red"), lambda: sla_service.policy_record(city, "red")[0], now=ticks)
    city.rollback()  # end the read (SQLite: one writer at a time)
    # Another process inserts a new version: plain SQL on its own connection, no ORM event in this process.
    with db.begin() as conn:
        conn.execute(sa.insert(SlaPolicyRecord.__table__).values(  # type: ignore[attr-defined]
            urgency="red", version=first.version + 1, rating_window_days=3, changed_by="other process",
            durations={"respond": {"amount": 1, "unit": "hours"}, "resolve": {"amount": 2, "unit": "working_days"}},
            created_at=clock.now))
    assert refcache.cached(city, ("sla_policy", "red"), lambda: pytest.fail("reloaded early"), now=ticks) == first
    ticks.value += 6
    reloaded = refcache.cached(city, ("sla_policy", "red"),
                               lambda: sla_service.policy_record(city, "red")[0], now=ticks)
    assert reloaded.version == first.version + 1


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_a_write_in_this_process_is_seen_at_once_unless_rolled_back(city: Session, db: Engine, clock, outcome):
    city.commit()
    first = sla_service.policy_for(city, "red")
    city.rollback()
    with Session(db) as other:
        other.add(_policy_row(first.version + 1, clock))
        other.flush()
        # The writing transaction reads its own write, not the cache.
        assert sla_service.policy_for(other, "red").version == first.version + 1
        getattr(other, outcome)()
    if outcome == "commit":
        assert sla_service.policy_for(city, "red").version == first.version + 1
    else:
        assert sla_service.policy_for(city, "red") is first


def test_bulk_delete_of_a_calendar_year_clears_it(city: Session, keys, clock):
    from app.auth.principal import Principal
    from app.enums import Role

    admin = Principal(role=Role.city_admin, label="admin", unit_path="/330100/")
    notice = CalendarYearIn.model_validate({"overrides": [{"day": "2027-01-01", "workday": False, "note": "元旦"}]})
    sla_service.replace_calendar_year(city, admin, 2027, notice, now=clock.now)
    assert sla_service.load_calendar(city).covers(2027)
    city.commit()
    # An empty notice removes the year with one DELETE and adds no rows: the bulk statement alone must clear.
    sla_service.replace_calendar_year(city, admin, 2027, CalendarYearIn(overrides=[]), now=clock.now)
    assert not sla_service.load_calendar(city).covers(2027)


def test_a_deactivated_user_key_is_refused_at_once(city: Session, db: Engine, client, keys, clock):
    token = keys["xixi_liaison"]["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/v1/appeals", headers=keys["xixi_liaison"]).status_code == 200  # now cached
    user = User(name="王专员", unit_id=city.exec(select(Unit.id).where(Unit.code == "330106012")).one(),
                role="liaison", mobile="13800000001", active=True, created_at=clock.now)
    city.add(user)
    city.flush()
    key = city.exec(select(ApiKey).where(ApiKey.name == "xixi_liaison")).one()
    key.user_id = user.id
    city.commit()
    assert client.get("/api/v1/appeals", headers=keys["xixi_liaison"]).status_code == 200
    user.active = False
    city.commit()
    assert client.get("/api/v1/appeals", headers=keys["xixi_liaison"]).status_code == 401
    with pytest.raises(Unauthenticated):
        auth_service.authenticate_api_key(city, token)


def test_send_counters_do_not_clear_but_a_broken_channel_does(city: Session, db: Engine, clock, ticks: Ticks):
    city.commit()
    unit_id = city.exec(select(Unit.id).where(Unit.code == "330106012")).one()
    channel = Channel(unit_id=unit_id, kind="webhook", url="https://example.org/hook", events=["all"],
                      per_minute_budget=18, created_at=clock.now, updated_at=clock.now)
    city.add(channel)
    city.commit()
    refcache.cached(city, ("marker",), lambda: "kept", now=ticks)
    channel.month_sends += 1
    channel.month_key = "2026-03"
    city.commit()
    assert refcache.peek(city, ("marker",), now=ticks) == "kept"
    channel.state = "broken"
    city.commit()
    assert refcache.peek(city, ("marker",), now=ticks) is None


def test_an_expired_value_is_reloaded_once_and_served_meanwhile(session: Session, ticks: Ticks):
    """The stampede at expiry (issue 20): while one caller reloads, the others get the expiring value."""
    loads: list[str] = []

    def reload() -> str:
        loads.append("outer")
        # another request asking while this one reloads: answered with the old value, no second load
        assert refcache.cached(session, ("k",), lambda: loads.append("inner") or "inner", now=ticks) == "old"
        assert refcache.peek(session, ("k",), now=ticks) == "old"
        return "new"

    assert refcache.cached(session, ("k",), lambda: "old", now=ticks) == "old"
    ticks.value += 6  # expired one second ago
    assert refcache.peek(session, ("k",), now=ticks) is None  # nobody is reloading: the caller must load
    assert refcache.cached(session, ("k",), reload, now=ticks) == "new"
    assert loads == ["outer"]
    assert refcache.cached(session, ("k",), lambda: "again", now=ticks) == "new"


def test_a_long_expired_value_is_never_served(session: Session, ticks: Ticks):
    assert refcache.cached(session, ("k",), lambda: "old", now=ticks) == "old"
    ticks.value += 10.5  # expired more than one period ago

    def reload() -> str:
        assert refcache.peek(session, ("k",), now=ticks) is None
        assert refcache.cached(session, ("k",), lambda: "inner", now=ticks) == "inner"  # loads itself
        return "new"

    assert refcache.cached(session, ("k",), reload, now=ticks) == "new"


def test_a_failed_reload_leaves_nothing_to_serve(session: Session, ticks: Ticks):
    assert refcache.cached(session, ("k",), lambda: "principal", now=ticks) == "principal"
    ticks.value += 6

    def revoked() -> str:
        raise Unauthenticated("revoked")

    with pytest.raises(Unauthenticated):
        refcache.cached(session, ("k",), revoked, now=ticks)
    assert refcache.peek(session, ("k",), now=ticks) is None
    assert refcache.cached(session, ("k",), lambda: "fresh", now=ticks) == "fresh"


def test_a_clear_while_reloading_serves_no_old_value(session: Session, db: Engine, ticks: Ticks):
    assert refcache.cached(session, ("k",), lambda: "old", now=ticks) == "old"
    ticks.value += 6

    def reload() -> str:
        refcache.clear(db)  # a commit in this process changed the rows
        assert refcache.cached(session, ("k",), lambda: "inner", now=ticks) == "inner"
        return "stale-load"

    assert refcache.cached(session, ("k",), reload, now=ticks) == "stale-load"
    assert refcache.cached(session, ("k",), lambda: "after", now=ticks) == "inner"
