"""Times are stored in UTC and shown in Asia/Shanghai with their offset."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_shanghai(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def shanghai_date(value: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant ("today" for a person in the city)."""
    return value.astimezone(SHANGHAI).date()


LocalDateTime = Annotated[
    datetime,
    PlainSerializer(lambda v: to_shanghai(v).isoformat(), return_type=str, when_used="json-unless-none"),
]
