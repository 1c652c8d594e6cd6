"""回头看: on the visit's revisit day, one reminder to the enterprise's street group and the visitor's unit group
(@ the visitor), through the outbox, once however often the worker runs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from app.core import events
from app.notifications import revisits as notices
from app.notifications.models import Channel, OutboxMessage
from app.units.models import Unit
from app.visits.models import Visit
from app.visits.revisits import RevisitDue, due_revisits, revisit_job
from app.worker import registered_jobs
from tests.helpers import XIXI_ENTERPRISE
from tests.visits.conftest import BEISHAN_ENTERPRISE, visit_body


def channel(session, code, kind="dingtalk", *, internal=True, events_=("reminder",), keyword=None):  # type: ignore[no-untyped-def]
    unit = session.exec(select(Unit).where(Unit.code == code)).one()
    row = Channel(unit_id=unit.id, kind=kind, url=f"https://example.invalid/{code}/{kind}", events=list(events_),
                  internal=internal, per_minute_budget=18, keyword=keyword, created_at=datetime.now(UTC),
                  updated_at=datetime.now(UTC))
    session.add(row)
    session.commit()
    return row


def test_the_revisit_reminds_the_street_group_and_the_visitor_once(client, people, session, settings, db, clock):
    street = channel(session, "330106001")  # 北山街道, the enterprise's street
    department = channel(session, "330100-JXJ", kind="webhook", internal=False)  # the visitor's unit
    channel(session, "330106012")  # another street: nothing for it
    channel(session, "330106001", kind="wecom", events_=("submitted",))  # not taking reminders
    body = visit_body(BEISHAN_ENTERPRISE, revisit_on="2026-03-10")
    visit = client.post("/api/v1/visits", json=body, headers=people["jxj"]).json()
    plain = client.post("/api/v1/visits", json=visit_body(XIXI_ENTERPRISE), headers=people["wang"])
    assert plain.status_code == 201

    assert any(job.name == "revisit" for job in registered_jobs())
    assert revisit_job(db, settings, clock.now) == 0  # not yet its day
    clock.set(datetime(2026, 3, 9, 16, 0, tzinfo=UTC))  # 2026-03-10 00:00 in Shanghai
    assert revisit_job(db, settings, clock.now) == 1
    assert revisit_job(db, settings, clock.now) == 0  # once

    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.channel_id)).all()
    assert [r.channel_id for r in rows] == [street.id, department.id]
    assert {r.event_type for r in rows} == {"revisit"} and all(r.appeal_id is None for r in rows)
    text = rows[0].payload["markdown"]["text"]
    assert "回头看提醒" in text and "2026-03-10" in text and "刘洋" in text and "杭州北山文创设计有限公司" in text
    assert rows[0].payload["at"] == {"atUserIds": ["liuy05"], "isAtAll": False} and "@liuy05" in text
    data = rows[1].payload["data"]  # an external webhook: no enterprise name
    assert rows[1].payload["type"] == "visit.revisit" and data["visit_id"] == visit["id"]
    assert "杭州北山文创设计有限公司" not in str(rows[1].payload)
    sent = session.get(Visit, visit["id"])
    assert sent is not None and sent.revisit_sent_at is not None
    session.rollback()


def test_a_second_worker_finds_it_sent(people, client, session, clock):
    notices.register()
    channel(session, "330106012")
    client.post("/api/v1/visits", json=visit_body(XIXI_ENTERPRISE, revisit_on="2026-03-03"), headers=people["wang"])
    later = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    heard: list[RevisitDue] = []
    listener = lambda _s, e: heard.append(e)
    events.subscribe(RevisitDue, listener)
    try:
        from sqlmodel import Session

        with Session(session.get_bind()) as one, Session(session.get_bind()) as two:
            assert due_revisits(one, now=later) == 1
            assert due_revisits(two, now=later) == 0
    finally:
        events._handlers[RevisitDue].remove(listener)
    assert len(heard) == 1 and heard[0].revisit_on.isoformat() == "2026-03-03"
    assert len(session.exec(select(OutboxMessage)).all()) == 1
    session.rollback()
