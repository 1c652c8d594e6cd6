"""Wire shapes of the DingTalk admin API: the group of a unit where its appeal cards go."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.dingtalk.models import DingTalkGroup
from app.units.models import Unit

# DingTalk's openConversationId ("cid…", base64-like); the app robot must be a member of that group.
OpenConversationId = Annotated[str, StringConstraints(pattern=r"^cid[0-9A-Za-z+/=_\-]{4,96}$")]


class DingTalkGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"open_conversation_id": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA=="}]})

    open_conversation_id: OpenConversationId = Field(description="群的 openConversationId（应用机器人须已入群）")


class DingTalkGroupRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"unit_code": "330106012", "open_conversation_id": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==",
         "created_at": "2026-12-03T09:00:00+08:00"}]})

    unit_code: str
    open_conversation_id: str
    created_at: datetime


def group_read(group: DingTalkGroup, unit: Unit) -> DingTalkGroupRead:
    """The REST answer and `zhuqi dingtalk-group show`: one shape for both."""
    return DingTalkGroupRead(unit_code=unit.code, open_conversation_id=group.open_conversation_id,
                             created_at=group.created_at)
