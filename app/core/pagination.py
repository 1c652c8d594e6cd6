"""Opaque, signed keyset cursors: a tampered cursor is a clear 422, never a 500 or someone else's page.

A list route asks its service for `limit + 1` rows after the cursor's position and hands them to `Page.of`, which
keeps `limit` of them and signs the position of the last one shown as the next page's cursor (None on the last
page): every cursor-paginated list in the API goes through it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query

from app.errors import InvalidInput

LimitQuery = Annotated[int, Query(ge=1, le=200, description="每页条数 (1–200)")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="上一页返回的 next_cursor")]

T = TypeVar("T")


def by_id(row: Any) -> dict[str, Any]:
    """The usual position: the row's id (lists ordered by id, newest or oldest first)."""
    return {"id": row.id}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset list: the rows to show, and the cursor of the next page (None on the last)."""

    rows: list[T]
    next_cursor: str | None

    @classmethod
    def of(cls, fetched: Sequence[T], limit: int, secret: str,
           position: Callable[[T], dict[str, Any]] = by_id) -> Page[T]:
        """`fetched`: up to `limit + 1` rows from the cursor's position on (the extra row only says that there is
        a next page). `position` names the last row shown in the next page's cursor."""
        rows = list(fetched[:limit])
        return cls(rows, encode_cursor(position(rows[-1]), secret) if len(fetched) > limit else None)


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
