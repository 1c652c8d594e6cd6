"""Wire shapes of the 走访台账 (DESIGN §11)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.appeals.schemas import ImpactIn
from app.core.time import LocalDateTime
from app.core.validation import JsonDate, LongText, RowId, Title, Uscc
from app.enums import Category, VisitMode

MAX_APPEALS_PER_VISIT = 20
MAX_PARTICIPANTS = 20


class VisitAppealIn(BaseModel):
    """An appeal raised during the visit: an appeal body without `enterprise_uscc` (the visit's) or `source`
    (always `visit`)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: LongText
    category: Category
    source: Literal["visit"] | None = Field(default=None, description="可省略；走访收集的诉求来源总是 visit")
    impact: ImpactIn = Field(default_factory=ImpactIn)
    attachment_ids: list[RowId] = Field(default_factory=list, max_length=9)


class VisitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "enterprise_uscc": "91330106MA2CF0001M",
                    "visited_on": "2026-11-20",
                    "mode": "on_site",
                    "participant_user_ids": [],
                    "summary": "了解企业新厂房投产进度，企业反映用电增容审批较慢。",
                    "policy_ids": [],
                    "appeals": [{"title": "新厂房用电增容审批迟迟未办",
                                 "description": "新建厂房需增容至 2000kVA，申请已提交两个月未有答复。",
                                 "category": "energy", "impact": {"employees_affected": 120}}],
                    "revisit_on": "2026-12-20",
                }
            ]
        },
    )

    enterprise_uscc: Uscc
    visited_on: JsonDate = Field(description="走访日期（北京时间），不能晚于今天、不能早于 2000-01-01")
    mode: VisitMode = Field(description="on_site 上门 | phone 电话 | video 视频 | meeting 座谈会")
    participant_user_ids: list[RowId] = Field(default_factory=list, max_length=MAX_PARTICIPANTS,
                                              description="同行人员（工作人员用户 id）")
    summary: LongText = Field(description="走访情况摘要")
    policy_ids: list[RowId] = Field(default_factory=list, max_length=50, description="走访中宣讲的政策")
    appeals: list[VisitAppealIn] = Field(default_factory=list, max_length=MAX_APPEALS_PER_VISIT,
                                         description="走访中收集的诉求，与走访登记同一事务：任一条有误则整条走访不登记")
    revisit_on: JsonDate | None = Field(default=None, description="回头看日期：当天提醒走访人和属地街道群")


class VisitPerson(BaseModel):
    user_id: int
    name: str
    unit_code: str
    unit_name: str


class VisitRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7, "enterprise_uscc": "91330106MA2CF0001M", "enterprise_name": "杭州西溪智造科技有限公司",
                    "street_code": "330106012", "visited_on": "2026-11-20", "mode": "on_site",
                    "visitor": {"user_id": 3, "name": "王晓明", "unit_code": "330100-JXJ", "unit_name": "市经信局"},
                    "participants": [], "summary": "了解企业新厂房投产进度。", "appeal_ids": [123],
                    "policy_ids": [], "revisit_on": "2026-12-20", "via": "api",
                    "created_at": "2026-11-20T16:00:00+08:00",
                }
            ]
        }
    )

    id: int
    enterprise_uscc: str
    enterprise_name: str
    street_code: str = Field(description="企业属地街道（走访时）")
    visited_on: date
    mode: VisitMode
    visitor: VisitPerson
    participants: list[VisitPerson]
    summary: str
    appeal_ids: list[int]
    policy_ids: list[int]
    revisit_on: date | None
    via: str = Field(description="登记方式：api | chatbot | page")
    created_at: LocalDateTime


class VisitPage(BaseModel):
    items: list[VisitRead]
    next_cursor: str | None = None
