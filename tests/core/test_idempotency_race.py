"""Idempotency-Key under concurrency (issue 14 item 2: 10 concurrent POSTs with one key made 2-4 appeals): the
first request wins, the others get its stored response or 409 `idempotency_in_progress` with Retry-After; an
expired record is replaced only when it really expired. The HTTP race runs in-process on both databases (SQLite's
write lock serialises it; PostgreSQL's advisory lock answers 409 or replays); the claim itself and a
service-level thread race run on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.appeals.models import Appeal
from app.appeals.schemas import AppealCreate
from app.appeals.service import submit_appeal
from app.auth.service import authenticate_api_key
from app.core import idempotency
from app.core.models import IdempotencyRecord
from tests.helpers import appeal_body

pytestmark = pytest.mark.db

RACERS = 12


def _count(engine, title: str) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Appeal).where(Appeal.title == title)).one())


def test_concurrent_posts_with_one_key_make_one_appeal(app, keys, db):
    body = appeal_body(title="并发提交同一键")
    headers = {**keys["city"], "Idempotency-Key": "race-1"}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhuqi") as client:
            return await asyncio.gather(*(client.post("/api/v1/appeals", json=body, headers=headers)
                                          for _ in range(RACERS)))

    responses = asyncio.run(race())
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in responses if r.status_code == 201) == 1
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["code"] == "idempotency_in_progress" and conflict.headers["Retry-After"] == "1"
    assert _count(db, body["title"]) == 1


def _city_principal(session: Session, keys):  # type: ignore[no-untyped-def]
    return authenticate_api_key(session, keys["city"]["Authorization"].removeprefix("Bearer "))


def test_an_expired_record_is_replaced_and_a_fresh_one_never(city, keys, clock, db):
    principal = _city_principal(city, keys)
    data = AppealCreate(**appeal_body(title="过期的键"))
    first = submit_appeal(city, principal, data, now=clock.now, idempotency_key="k")
    assert submit_appeal(city, principal, data, now=clock.now + timedelta(hours=23), idempotency_key="k").replayed
    later = clock.now + idempotency.KEY_TTL + timedelta(seconds=1)
    renewed = submit_appeal(city, principal, data, now=later, idempotency_key="k")
    assert not renewed.replayed and renewed.body["id"] != first.body["id"]

    # A request that raced outside the claim finds the record fresh: its remember() must not delete it.
    with Session(db) as other:
        idempotency.remember(other, caller=principal.caller_key, key="k", body_fingerprint="x", status=201,
                             response={"id": -1}, now=later + timedelta(minutes=1))
        with pytest.raises(IntegrityError):
            other.commit()
    with Session(db) as check:
        assert check.get(IdempotencyRecord, (principal.caller_key, "k")).response_body["id"] == renewed.body["id"]


@pytest.mark.postgres_only
def test_a_key_claimed_by_an_open_transaction_answers_in_progress(city, keys, clock, db):
    principal = _city_principal(city, keys)
    caller, fp = principal.caller_key, idempotency.fingerprint({"a": 1})
    with Session(db) as first, Session(db) as second:
        assert idempotency.replay(first, caller=caller, key="k", body_fingerprint=fp, now=clock.now) is None
        with pytest.raises(idempotency.IdempotencyInProgress) as refused:
            idempotency.replay(second, caller=caller, key="k", body_fingerprint=fp, now=clock.now)
        assert refused.value.headers == {"Retry-After": "1"}
        second.rollback()
        idempotency.remember(first, caller=caller, key="k", body_fingerprint=fp, status=201, response={"id": 7},
                             now=clock.now)
        first.commit()
        record = idempotency.replay(second, caller=caller, key="k", body_fingerprint=fp, now=clock.now)
        assert record is not None and record.response_body == {"id": 7}


@pytest.mark.postgres_only
def test_threads_submitting_one_key_create_one_appeal(city, keys, clock, db):
    principal = _city_principal(city, keys)
    data = AppealCreate(**appeal_body(title="线程竞争同一键"))
    barrier = threading.Barrier(RACERS)
    outcomes: list[object] = []

    def racer() -> None:
        with Session(db, expire_on_commit=False) as session:
            barrier.wait()
            try:
                result = submit_appeal(session, principal, data, now=clock.now, idempotency_key="thread-race")
                outcomes.append((result.body["id"], result.replayed))
            except idempotency.IdempotencyInProgress as exc:
                outcomes.append(exc)
            except BaseException as exc:  # noqa: BLE001 — reported below
                outcomes.append(repr(exc))

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    created = [o for o in outcomes if isinstance(o, tuple)]
    assert len(outcomes) == RACERS and all(isinstance(o, (tuple, idempotency.IdempotencyInProgress)) for o in outcomes)
    assert len({appeal_id for appeal_id, _ in created}) == 1
    assert sum(not replayed for _, replayed in created) == 1
    assert _count(db, data.title) == 1
