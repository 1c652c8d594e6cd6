"""Reusable input constraints: printable text without control characters, codes, bounded strings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StringConstraints

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def _single_line(value: str) -> str:
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


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_single_line)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_single_line)]
Address = Annotated[str, StringConstraints(max_length=300), AfterValidator(_single_line)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_multi_line)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_multi_line)]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{2,32}$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=20), AfterValidator(_single_line)]


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


Mobile = Annotated[str, StringConstraints(max_length=20), AfterValidator(_mobile)]
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


JsonDate = Annotated[date, BeforeValidator(_date_text)]
# The same rule for a date in a query string (found by schemathesis: `?due_by=0` listed tasks due by 1970-01-01).
QueryDate = JsonDate


# Row ids are 32-bit integers in the database (SERIAL on PostgreSQL): a larger id can name nothing, and must be a
# 422, not a driver overflow (found by schemathesis: /appeals/9223372036854775808 was a 500).
MAX_ID = 2_147_483_647
RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]  # found by schemathesis: GET /outbox?appeal_id=2**63 was a 500
