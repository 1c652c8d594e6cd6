"""`app.db.insert_with_child`: a new row and a row that refers to it written together (an appeal and the event of
its filing: one statement on PostgreSQL, a data-modifying CTE; two on SQLite) — ids, the parent's computed columns
and the foreign key all set, nothing written when the transaction rolls back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.appeals.models import Appeal, AppealEvent
from app.db import insert_with_child, new_row
from tests.helpers import appeal_body


def _copies(session):  # type: ignore[no-untyped-def]
    """A new appeal and event built like the first ones (their columns minus ids)."""
    appeal = session.exec(select(Appeal)).one()
    event = session.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal.id)).one()
    skip = {"id", "number", "appeal_id"}
    fresh_appeal = new_row(Appeal, **{k: v for k, v in appeal.model_dump().items() if k not in skip},
                           number="ZQ2026-999999")
    fresh_event = new_row(AppealEvent, **{k: v for k, v in event.model_dump().items() if k not in skip})
    return appeal, fresh_appeal, fresh_event


def test_the_appeal_and_its_filing_event_are_written_together(client, keys, session):
    response = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"])
    assert response.status_code == 201, response.text
    body = response.json()
    appeal = session.get(Appeal, body["id"])
    assert appeal is not None and appeal.number == body["number"]
    events = session.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal.id)).all()
    assert [e.type for e in events] == ["submitted"]
    assert events[0].data["urgency"] == body["urgency"]


def test_ids_and_the_foreign_key_are_set_and_a_rollback_writes_neither(client, keys, session):
    assert client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).status_code == 201
    first, appeal, event = _copies(session)
    insert_with_child(session, appeal, event, fk="appeal_id")
    assert appeal.id is not None and appeal.id != first.id
    assert event.id is not None and event.appeal_id == appeal.id
    assert session.execute(sa.select(AppealEvent.appeal_id).where(AppealEvent.id == event.id)).scalar_one() \
        == appeal.id
    session.rollback()
    assert session.get(Appeal, appeal.id) is None
    assert session.execute(sa.select(sa.func.count()).select_from(AppealEvent)).scalar_one() == 1


def test_a_child_carrying_an_sql_expression_is_refused(client, keys, session):
    assert client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).status_code == 201
    _, appeal, event = _copies(session)
    event.note = sa.literal_column("'computed'")  # type: ignore[assignment]
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite writes the two rows with insert_row, which computes expressions itself")
    with pytest.raises(ValueError, match="child"):
        insert_with_child(session, appeal, event, fk="appeal_id")
