"""Times are stored in UTC and shown in Asia/Shanghai with their offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_shanghai(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


LocalDateTime = Annotated[
    datetime,
    PlainSerializer(lambda v: to_shanghai(v).isoformat(), return_type=str, when_used="json-unless-none"),
]
