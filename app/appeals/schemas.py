from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.core.validation import (
    AmountCny,
    Headcount,
    JsonBool,
    JsonDate,
    JsonInt,
    Label,
    LongText,
    Note,
    RowId,
    Title,
    UnitCode,
    Uscc,
)
from app.enums import AppealKind, Category, SlaState, Source, Status, Tier, Urgency


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    production_halted: JsonBool = Field(default=False, description="是否停产停工")
    safety_risk: JsonBool = Field(default=False, description="是否存在安全隐患")
    wage_arrears: JsonBool = Field(default=False, description="是否涉及欠薪")
    employees_affected: Headcount | None = Field(default=None, description="影响职工人数")
    amount_cny: AmountCny | None = Field(default=None, description="涉及金额（元）")
    hard_deadline: JsonDate | None = Field(default=None, description="企业的硬性截止日期：不早于今天，不晚于两年后")


class AppealCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "新厂房用电增容审批迟迟未办",
                    "description": "企业新建厂房需增容至 2000kVA，申请已提交两个月未有答复，影响 9 月投产。",
                    "category": "energy",
                    "source": "visit",
                    "impact": {"production_halted": False, "employees_affected": 120, "amount_cny": 5000000,
                               "hard_deadline": "2026-12-31"},
                    "attachment_ids": [],
                    "enterprise_uscc": "91330106MA2CF0001M",
                }
            ]
        },
    )

    title: Title
    description: LongText
    category: Category
    source: Source | None = Field(default=None, description="默认：企业为 mini_program，工作人员为 visit")
    impact: ImpactIn = Field(default_factory=ImpactIn)
    attachment_ids: list[RowId] = Field(default_factory=list, max_length=9)
    enterprise_uscc: Uscc | None = Field(default=None, description="工作人员代企业提交时必填")


class Deadlines(BaseModel):
    respond_by: LocalDateTime | None = Field(description="签收（首次响应）期限")
    plan_by: LocalDateTime | None = Field(default=None, description="拿出方案期限")
    feedback_by: LocalDateTime | None = Field(default=None, description="反馈期限")
    resolve_by: LocalDateTime | None = Field(description="办结期限（当前，含延期与暂停顺延）")


class OriginalDeadlines(BaseModel):
    respond_by: LocalDateTime | None
    resolve_by: LocalDateTime | None


class Counters(BaseModel):
    urges: int
    returns: int
    extensions: int
    reopens: int
    escalations: int


class ImpactRead(BaseModel):
    production_halted: bool
    safety_risk: bool
    wage_arrears: bool
    employees_affected: int | None
    amount_cny: int | None
    hard_deadline: date | None


class AppealRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 123, "number": "ZQ2026-000123", "status": "submitted", "urgency": "red",
                    "urgency_reasons": ["影响职工100人以上"], "sla_state": "on_track", "tier": "street",
                    "unit_code": "330106012", "enterprise_uscc": "91330106MA2CF0001M",
                    "enterprise_name": "杭州西溪智造科技有限公司", "title": "新厂房用电增容审批迟迟未办",
                    "category": "energy", "kind": "individual", "source": "visit",
                    "promise": "24小时内响应、3个工作日内办结",
                    "deadlines": {"respond_by": "2026-11-22T09:00:00+08:00", "plan_by": None, "feedback_by": None,
                                  "resolve_by": "2026-11-26T23:59:59+08:00"},
                    "version": 1, "created_at": "2026-11-21T09:00:00+08:00", "updated_at": "2026-11-21T09:00:00+08:00",
                }
            ]
        }
    )

    id: int
    number: str
    status: Status
    urgency: Urgency
    urgency_reasons: list[str]
    sla_state: SlaState
    tier: Tier
    unit_code: str
    unit_name: str
    enterprise_uscc: str
    enterprise_name: str
    title: str
    description: str
    category: Category
    kind: AppealKind
    source: Source
    visit_id: int | None = Field(default=None, description="收集该诉求的走访登记（来源为走访时）")
    impact: ImpactRead
    attachment_ids: list[int]
    promise: str | None = Field(default=None, description="受理时的办理承诺，如“24小时内响应、10个工作日内办结”")
    deadlines: Deadlines
    original_deadlines: OriginalDeadlines
    liaison_user_id: int | None
    counters: Counters
    supervised: bool
    resolution_code: str | None
    public_reply: str | None
    rating: str | None
    merged_into_id: int | None
    policy_version: int
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime


class AppealPage(BaseModel):
    items: list[AppealRead]
    next_cursor: str | None = None


class AppealEventRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 1, "type": "submitted", "actor": "王晓明（西溪街道）", "at": "2026-11-21T09:00:00+08:00",
                 "from_status": None, "to_status": "submitted", "from_unit_code": None,
                 "to_unit_code": "330106012", "note": "诉求已受理，分派至西溪街道。紧急程度：红（停产停工）",
                 "public": True, "via": "api", "assist": False}
            ]
        }
    )

    id: int
    type: str
    actor: str = Field(description="操作人（显示用）；非承办单位人员（结对干部、楼长、协办单位）的进展记为「协办」，"
                                   "如「王晓明（市经信局·协办）」")
    at: LocalDateTime
    from_status: Status | None
    to_status: Status | None
    from_unit_code: str | None
    to_unit_code: str | None
    note: str | None
    public: bool
    via: str
    assist: bool = Field(default=False, description="协办：记录时操作人不属于承办单位（结对干部、楼长、协办单位），"
                                                    "按当时情况记录，结对解除后不变")


class AppealEventPage(BaseModel):
    items: list[AppealEventRead]
    next_cursor: str | None = None


class CategoryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "funding", "label": "资金"}]})

    code: Category
    label: str


class CategoryList(BaseModel):
    items: list[CategoryRead]


class ActionIn(BaseModel):
    """The fields an action may need (DESIGN §8.1); each action checks the ones it requires."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"note": "已联系供电公司，本周内上门勘察"},
                {"resolution_code": "已解决", "public_reply": "供电公司已完成增容方案，12 月 10 日前送电。"},
                {"reason": "属于用地审批事项，建议改派区规划资源分局", "target_unit_code": "330106"},
                {"days": 5, "reason": "需等待市规划资源局联审意见"},
                {"rating": "dissatisfied", "comment": "仍未解决"},
            ]
        },
    )

    note: Note | None = Field(default=None, description="进展、补充要求或备注")
    public: JsonBool | None = Field(default=None, description="进展是否对企业公开（默认公开）")
    public_reply: LongText | None = Field(default=None, description="办结答复（对企业公开）")
    resolution_code: Label | None = Field(
        default=None, description="办结类型：已解决 | 部分解决 | 已解释答复 | 暂不具备解决条件 | 非政府职责"
    )
    reason: Note | None = Field(default=None, description="退回、提级、延期、不予受理、调色的理由")
    target_unit_code: UnitCode | None = Field(default=None, description="改派、下派、加派的目标单位；退回时为建议单位")
    target_appeal_id: RowId | None = Field(default=None, description="合并到的诉求")
    days: JsonInt | None = Field(default=None, ge=1, le=60, description="延期工作日数")
    decision: Literal["approve", "deny"] | None = Field(default=None, description="上级审批延期：approve | deny")
    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = Field(
        default=None, description="满意 satisfied | 基本满意 basically_satisfied | 不满意 dissatisfied（重办）"
    )
    comment: Note | None = None
    urgency: Urgency | None = Field(default=None, description="调色后的颜色")


class AllowedActions(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "submitted",
                                                               "actions": ["sign", "return", "escalate"]}]})

    status: Status
    actions: list[str]
