from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.time import LocalDateTime
from app.core.validation import Note
from app.enums import Rating

TaskStatus = Literal["pending", "reached", "not_reached", "refused", "closed"]


class CallbackOutcome(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "reached", "rating": "satisfied", "comment": "企业表示用电指标已落实，对办理结果满意。"},
                {"outcome": "not_reached", "comment": "电话无人接听"},
            ]
        },
    )

    outcome: Literal["reached", "not_reached", "refused"] = Field(
        description="reached 已接通（须填评价）| not_reached 未接通（最多 3 次，顺延到下一个工作日）| refused 拒绝回访"
    )
    rating: Rating | None = Field(default=None, description="satisfied 满意 | basically_satisfied 基本满意 | dissatisfied 不满意")
    comment: Note | None = Field(default=None, description="企业意见或回访备注")

    @model_validator(mode="after")
    def _rating_only_when_reached(self) -> CallbackOutcome:
        if self.outcome == "reached" and self.rating is None:
            raise ValueError("接通回访须填写企业评价 rating (rating is required when reached)")
        if self.outcome != "reached" and self.rating is not None:
            raise ValueError("未接通或拒绝回访时不能填写评价 (rating only when reached)")
        return self


_TASK_EXAMPLE = {
    "id": 12, "appeal_id": 101, "appeal_number": "ZQ2026-000101", "appeal_title": "夏季用电指标不足被要求限产",
    "enterprise_name": "杭州湖墅精密机械有限公司", "contact_name": "周敏", "contact_mobile": "139****0002",
    "unit_code": "330105", "unit_name": "拱墅区", "status": "pending", "attempts": 1, "max_attempts": 3,
    "next_try_on": "2026-11-23", "rating": None, "comment": "电话无人接听", "needs_redo": False,
    "closed_reason": None, "last_attempt_at": "2026-11-21T10:00:00+08:00",
    "created_at": "2026-11-20T16:00:00+08:00", "updated_at": "2026-11-21T10:00:00+08:00",
}


class CallbackTaskRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    id: int
    appeal_id: int
    appeal_number: str
    appeal_title: str
    enterprise_name: str
    contact_name: str
    contact_mobile: str = Field(description="回访单位（区县）的工作人员可见完整号码，其他人为掩码")
    unit_code: str = Field(description="负责回访的区县")
    unit_name: str
    status: TaskStatus
    attempts: int
    max_attempts: int
    next_try_on: date | None = Field(description="下一次回访日（工作日）；任务结束后为 null")
    rating: Rating | None
    comment: str | None
    needs_redo: bool = Field(description="企业不满意：诉求须重办（由办理流程重新打开）")
    closed_reason: str | None
    last_attempt_at: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class CallbackTaskPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_TASK_EXAMPLE], "next_cursor": None}]})

    items: list[CallbackTaskRead]
    next_cursor: str | None = None
