"""Opaque, signed keyset cursors: a tampered cursor is a clear 422, never a 500 or someone else's page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import Query

from app.errors import InvalidInput

LimitQuery = Annotated[int, Query(ge=1, le=200, description="每页条数 (1–200)")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="上一页返回的 next_cursor")]


def encode_cursor(position: dict[str, Any], secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{payload}.{mac}"


def decode_cursor(cursor: str | None, secret: str) -> dict[str, Any] | None:
    if cursor is None:
        return None
    payload, _, mac = cursor.partition(".")
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:16]
    # Bytes, not str: compare_digest refuses non-ASCII strings (a cursor like ".\u0080" was a 500).
    if not mac or not hmac.compare_digest(mac.encode(), expected.encode()):
        raise InvalidInput.field("query.cursor", "分页游标无效或已被篡改 (invalid cursor)")
    try:
        position = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        raise InvalidInput.field("query.cursor", "分页游标无效 (invalid cursor)") from None
    if not isinstance(position, dict):
        raise InvalidInput.field("query.cursor", "分页游标无效 (invalid cursor)")
    return position


def decode_cursor_id(cursor: str | None, secret: str, field: str = "id") -> int | None:
    position = decode_cursor(cursor, secret)
    if position is None:
        return None
    value = position.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput.field("query.cursor", "分页游标不属于此列表 (cursor from another list)")
    return value
