"""Idempotency-Key for creating POSTs (IETF draft + Stripe semantics), stored in the same transaction.

Replay returns the first response; the same key with another body is 422; keys are scoped per caller and
kept 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.core.models import IdempotencyRecord
from app.errors import InvalidInput

KEY_TTL = timedelta(hours=24)


def fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip().strip('"')
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise InvalidInput.field("header.Idempotency-Key", "Idempotency-Key 必须是 1–255 个可打印 ASCII 字符")
    return key


def replay(
    session: Session, *, caller: str, key: str, body_fingerprint: str, now: datetime
) -> IdempotencyRecord | None:
    record = session.get(IdempotencyRecord, (caller, key))
    if record is None or record.created_at < now - KEY_TTL:
        return None
    if record.fingerprint != body_fingerprint:
        raise InvalidInput.field(
            "header.Idempotency-Key", "同一 Idempotency-Key 已用于不同的请求内容 (key reused with another body)"
        )
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
    existing = session.get(IdempotencyRecord, (caller, key))
    if existing is not None:  # an expired record: the key starts a new life
        session.delete(existing)
        session.flush()
    session.add(
        IdempotencyRecord(caller=caller, key=key, fingerprint=body_fingerprint, response_status=status,
                          response_body=response, created_at=now)
    )
