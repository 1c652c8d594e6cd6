"""Reusable input constraints: printable text without control characters, codes, bounded strings, dates inside a
sane calendar (2000-01-01..2100-12-31), bounded numbers, and the request headers of the write routes
(Idempotency-Key, If-Match)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Header, Path, Query
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StringConstraints

from app.errors import InvalidInput

# C0 (but tab and line breaks in multi-line text), DEL, C1 (U+0080–U+009F: never typed, but NEL (U+0085) breaks a
# line in some readers and the others are invisible), zero-width and line/paragraph separators, BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def single_line(value: str) -> str:
    """One line of text: NFC, trimmed, not blank, no control character (C0, DEL, C1), zero-width or line break."""
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL_SINGLE_LINE.search(value):
        raise ValueError("不能包含控制字符或换行 (control characters are not allowed)")
    if not value:
        raise ValueError("不能为空 (must not be blank)")
    return value


def _multi_line(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("不能包含控制字符 (control characters are not allowed)")
    if not value:
        raise ValueError("不能为空 (must not be blank)")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(single_line)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(single_line)]
Address = Annotated[str, StringConstraints(max_length=300), AfterValidator(single_line)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_multi_line)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_multi_line)]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{2,32}$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=20), AfterValidator(single_line)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=30), AfterValidator(single_line)]


# Text that a vendor sends us (DingTalk callbacks): C0 controls but tab and line feed, DEL and C1. PostgreSQL text
# cannot hold NUL at all (psycopg refuses the INSERT: a 500, and DingTalk retries), and none of them is ever typed.
VENDOR_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "不能包含控制字符 (control characters are not allowed)"


def strip_controls(value: str) -> str:
    """Free text typed by a person (a chat message, a nickname): the control characters go, the words stay."""
    return VENDOR_CONTROL.sub("", value)


def refuse_controls(value: str) -> str:
    """An identifier (a message id, a userid): removing characters would name something else, so it is refused."""
    if VENDOR_CONTROL.search(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


def control_path(value: Any, path: str = "") -> str | None:
    """Where in a JSON value (dicts, lists, strings; keys too) a control character sits, or None."""
    if isinstance(value, str):
        return path if VENDOR_CONTROL.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and VENDOR_CONTROL.search(key):
            return where
        found = control_path(item, where)
        if found is not None:
            return found
    return None


StrippedText = Annotated[str, AfterValidator(strip_controls)]
PlainId = Annotated[str, AfterValidator(refuse_controls)]


# Checks of fields whose rules a domain owns (a mobile number, a USCC: enterprises), registered by that domain
# from app.wiring: name → check(value) returning the normalised value or raising ValueError. Core imports no domain.
FIELD_CHECKS: dict[str, Callable[[str], str]] = {}


def _registered(name: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        found = FIELD_CHECKS.get(name)
        if found is None:
            raise RuntimeError(f"field check {name!r} is not registered: app.wiring.install() was not called")
        try:
            return found(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    return check


_mobile = _registered("mobile")
_uscc = _registered("uscc")


# The control characters first: the mobile check drops whitespace, which includes NEL (U+0085) and U+001C–U+001F.
Mobile = Annotated[str, StringConstraints(max_length=20), AfterValidator(single_line), AfterValidator(_mobile)]
Uscc = Annotated[str, StringConstraints(max_length=30), AfterValidator(_uscc)]


# JSON bodies take the JSON types the contract declares. Pydantic's lax mode would also read 0 or "yes" as a
# boolean, "5" or 5.0 as an integer and the number 0 as the date 1970-01-01, guessing what the client meant.
# (Query strings stay lax: everything arrives there as text.)
JsonBool = StrictBool
JsonInt = StrictInt


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    # Only YYYY-MM-DD (the contract's `format: date`): pydantic would also read "0" as a Unix timestamp
    # (1970-01-01) and cut a datetime to its date.
    if (isinstance(value, str) and _ISO_DATE.fullmatch(value)) or (
            isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise ValueError("日期必须是 YYYY-MM-DD 格式的字符串 (a date must be a YYYY-MM-DD string)")


# Every date and time the API reads lies in this calendar. Python's own (years 1–9999) overflows one day from its
# ends (`date.max + 1 day`, a UTC conversion of 0001-01-01T00:00+08:00), the working-day calendar has no data
# beyond it, and no appeal, deadline or statistics period of this service is meant to lie outside it.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
CALENDAR_MESSAGE = f"日期必须在 {MIN_DATE} 至 {MAX_DATE} 之间 (date out of range)"


def in_calendar(value: date) -> bool:
    """A date, or a datetime's own calendar day (whatever its offset), inside MIN_DATE..MAX_DATE."""
    day = value.date() if isinstance(value, datetime) else value
    return MIN_DATE <= day <= MAX_DATE


def _calendar(value: date) -> date:
    if not in_calendar(value):
        raise ValueError(CALENDAR_MESSAGE)
    return value


JsonDate = Annotated[date, BeforeValidator(_date_text), AfterValidator(_calendar)]
# The same rule for a date in a query string (found by schemathesis: `?due_by=0` listed tasks due by 1970-01-01).
QueryDate = JsonDate


# Counts and sums of money: a client's typo must not become a 20-digit number that codes an appeal red or overflows
# a column. The bounds are generous (a whole city's workforce; ten trillion yuan) and fit a BIGINT.
MAX_HEADCOUNT = 10_000_000
MAX_AMOUNT_CNY = 10**13
Headcount = Annotated[StrictInt, Field(ge=0, le=MAX_HEADCOUNT)]
AmountCny = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_CNY)]


# Row ids are 32-bit integers in the database (SERIAL on PostgreSQL): a larger id can name nothing, and must be a
# 422, not a driver overflow (found by schemathesis: /appeals/9223372036854775808 was a 500).
MAX_ID = 2_147_483_647
RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]  # found by schemathesis: GET /outbox?appeal_id=2**63 was a 500


# The headers of the write routes, one definition each so the OpenAPI contract describes them alike everywhere.
# The key itself is checked by app.core.idempotency.check_key (its 422 names header.Idempotency-Key).
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=300, description="重放返回首次响应；24 小时有效")
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40, description='ETag 版本，如 "3"')]


def parse_if_match(value: str | None, *, resource: str) -> int | None:
    """The version a strong ETag (`"3"`) names; None for no header or `*` (any version). A weak ETag cannot guard
    a compare-and-set, so it is refused. `resource` names what the ETag belongs to in the message (诉求, 政策)."""
    if value is None or value.strip() == "*":
        return None
    raw = value.strip()
    if raw.startswith("W/"):
        raise InvalidInput.field("header.If-Match", "If-Match 需要强 ETag（不带 W/）")
    try:
        return int(raw.strip('"'))
    except ValueError:
        raise InvalidInput.field("header.If-Match", f"If-Match 必须是{resource}的 ETag，如 \"3\"") from None
