"""Idempotency-Key for creating POSTs (IETF draft + Stripe semantics), stored in the same transaction.

Replay returns the first response; the same key with another body is 422; keys are scoped per caller and
kept 24 hours.

Concurrency: the first request with a key wins. `replay` claims the key for the caller's transaction before
anything is created: on PostgreSQL with a transaction-scoped advisory lock taken without waiting (a second request
that finds it taken gets the first one's stored response if it is already committed, otherwise 409
`idempotency_in_progress` with Retry-After: it never holds a connection while it waits for another); on SQLite
every transaction takes the database's write lock at BEGIN (app.db), so the second request starts only after the
first committed and finds its record. An expired record is deleted only if it is still expired at that moment
(conditional DELETE), so a fresh record is never replaced; if one appeared anyway, the INSERT fails and the caller
answers with its replay.

`run_once` is the whole protocol for a creating use case: replay, or create, remember and commit, and on a lost
INSERT race answer with the winner's replay. The use case comes in as a callable, so core knows no domain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from app.core.models import IdempotencyRecord
from app.db import is_postgres
from app.errors import Conflict, InvalidInput

KEY_TTL = timedelta(hours=24)
RETRY_AFTER_SECONDS = 1


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"

    def __init__(self) -> None:
        super().__init__("同一 Idempotency-Key 的请求正在处理中，请稍后重试 (a request with this key is in progress)",
                         headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class Outcome(NamedTuple):
    """What a creating use case answers: the stored body of the resource, its status, and whether this is the
    replay of a first response. Neutral data: the route turns it into HTTP (app.core.http.created)."""

    status_code: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip().strip('"')
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput.field("header.Idempotency-Key", "Idempotency-Key 必须是 1–255 个可打印 ASCII 字符")
    return key


def lock_id(caller: str, key: str) -> int:
    """The advisory lock of a (caller, key): 64 bits of its SHA-256, as PostgreSQL's signed bigint."""
    return int.from_bytes(hashlib.sha256(f"idempotency\0{caller}\0{key}".encode()).digest()[:8], "big", signed=True)


def replay(
    session: Session, *, caller: str, key: str, body_fingerprint: str, now: datetime
) -> IdempotencyRecord | None:
    """The stored first response for this key, or None once the key is claimed by this transaction (the caller
    then creates, `remember`s and commits). Raises IdempotencyInProgress while another transaction holds it."""
    claimed = _claim(session, caller, key)
    record = _fresh_record(session, caller, key, now)
    if record is None and not claimed:
        raise IdempotencyInProgress()
    if record is not None and record.fingerprint != body_fingerprint:
        raise InvalidInput.field(
            "header.Idempotency-Key", "同一 Idempotency-Key 已用于不同的请求内容 (key reused with another body)"
        )
    return record


def _claim(session: Session, caller: str, key: str) -> bool:
    if not is_postgres(session):
        return True  # this transaction holds SQLite's write lock since its BEGIN IMMEDIATE
    return bool(session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(lock_id(caller, key)))).scalar_one())


def _fresh_record(session: Session, caller: str, key: str, now: datetime) -> IdempotencyRecord | None:
    # populate_existing: after a failed claim or a lost INSERT race, read what is committed now, not the
    # identity map's copy.
    record = session.get(IdempotencyRecord, (caller, key), populate_existing=True)
    if record is not None and record.created_at < now - KEY_TTL:
        session.expunge(record)  # expired: `remember` deletes the row and adds a new object under the same key
        return None
    return record


def remember(
    session: Session,
    *,
    caller: str,
    key: str,
    body_fingerprint: str,
    status: int,
    response: dict[str, Any],
    now: datetime,
) -> None:
    # The key starts a new life only if its record really expired: a fresh one (committed by a request that raced
    # this one outside the claim) stays, and the INSERT below then fails with IntegrityError.
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.caller) == caller, col(IdempotencyRecord.key) == key,
            col(IdempotencyRecord.created_at) < now - KEY_TTL,
        ).execution_options(synchronize_session=False)
    )
    session.add(
        IdempotencyRecord(caller=caller, key=key, fingerprint=body_fingerprint, response_status=status,
                          response_body=response, created_at=now)
    )


def run_once(
    session: Session,
    *,
    caller: str,
    key: str | None,
    request: dict[str, Any],
    now: datetime,
    create: Callable[[], dict[str, Any]],
    status: int = 201,
) -> Outcome:
    """Runs `create` (which writes in `session` and must not commit) and commits: once per Idempotency-Key when
    `key` is given. A repeated key answers with the first response; so does a concurrent request with the same key
    that committed first (our INSERT of the record then fails). `request` is what the key is bound to: the same
    key with another request is 422. Without a key, `create` runs and commits, and an IntegrityError propagates."""
    key = check_key(key) if key is not None else None
    body_fingerprint = fingerprint(request) if key is not None else ""
    if key is not None:
        record = replay(session, caller=caller, key=key, body_fingerprint=body_fingerprint, now=now)
        if record is not None:
            return Outcome(record.response_status, record.response_body, replayed=True)
    body = create()
    if key is not None:
        remember(session, caller=caller, key=key, body_fingerprint=body_fingerprint, status=status, response=body,
                 now=now)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if key is None:
            raise
        record = replay(session, caller=caller, key=key, body_fingerprint=body_fingerprint, now=now)
        if record is None:
            raise
        return Outcome(record.response_status, record.response_body, replayed=True)
    return Outcome(status, body, replayed=False)
