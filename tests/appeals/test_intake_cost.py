"""Intake's database round trips are counted, not timed (timings live in bench/): reference data (API keys,
policies, the calendar, which units have channels) comes from the process cache (app.core.refcache) once warm, and
what one use case reads several times is loaded once per transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.sla import service as sla_service
from app.sla.models import SlaPolicyRecord
from app.units import service as units
from app.units.models import Unit
from tests.helpers import appeal_body

# enterprise (+street), appeal, event; on PostgreSQL the appeal and its event are one statement (a data-modifying
# CTE, app.db.insert_with_child) that also reads the number's sequence; on SQLite the number's counter is one more.
# (Cold: + api key, urgency setting, calendar, SLA policy, units with channels; and the channels
# themselves when the owner has one.)
INTAKE_STATEMENTS = {"postgresql": 2, "sqlite": 4}


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement.split("\n", 1)[0][:80])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_intake_reads_reference_data_once(client, keys, engine):
    expected = INTAKE_STATEMENTS[engine.dialect.name]
    bodies = (appeal_body(), appeal_body(category="land"), appeal_body(impact={"hard_deadline": "2026-03-20"}))
    for body in bodies:  # warm: first-use lookups
        assert client.post("/api/v1/appeals", json=body, headers=keys["city"]).status_code == 201
    for body in bodies:
        with counting(engine) as statements:
            response = client.post("/api/v1/appeals", json=body, headers=keys["city"])
        assert response.status_code == 201, response.text
        if body["category"] == "land":  # starts at the district: one more lookup up the ladder
            assert len(statements) <= expected + 1, statements
        else:
            assert len(statements) <= expected, statements
        assert sum("FROM sla_policy" in s for s in statements) <= 1, statements


def test_memo_lasts_one_transaction(city: Session, clock, engine):
    first = sla_service.policy_for(city, "red")
    with counting(engine) as statements:
        assert sla_service.policy_for(city, "red") is first
        sla_service.load_calendar(city)
        sla_service.load_calendar(city)
    assert sum("calendar_override" in s for s in statements) == 1
    city.commit()  # the memo ends with the transaction
    # Another writer changes the policy; the next transaction sees it.
    with Session(engine) as other:
        other.add(SlaPolicyRecord(urgency="red", version=first.version + 1, rating_window_days=3,
                                  durations={"respond": {"amount": 1, "unit": "minutes"},
                                             "resolve": {"amount": 2, "unit": "hours"}},
                                  changed_by="test", created_at=clock.now))
        other.commit()
    fresh = sla_service.policy_for(city, "red")
    assert fresh.version == first.version + 1 and fresh.respond.amount == 1
    city.rollback()
    assert units.area_parent(city, units.get_by_code(city, "330106012")).code == "330106"  # type: ignore[arg-type, union-attr]


def test_is_top_matches_the_ladder(city: Session):
    for unit in city.exec(sa.select(Unit)).scalars():
        assert units.is_top(unit) == (units.area_parent(city, unit) is None), unit.code
