from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.core.validation import LongText, Title, Uscc
from app.enums import AppealKind, Category, SlaState, Source, Status, Tier, Urgency


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    production_halted: bool = Field(default=False, description="是否停产停工")
    safety_risk: bool = Field(default=False, description="是否存在安全隐患")
    wage_arrears: bool = Field(default=False, description="是否涉及欠薪")
    employees_affected: int | None = Field(default=None, ge=0, le=10_000_000, description="影响职工人数")
    amount_cny: int | None = Field(default=None, ge=0, le=10**13, description="涉及金额（元）")
    hard_deadline: date | None = Field(default=None, description="企业的硬性截止日期")


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
                    "enterprise_uscc": "91330106MA2CFXXX1L",
                }
            ]
        },
    )

    title: Title
    description: LongText
    category: Category
    source: Source | None = Field(default=None, description="默认：企业为 mini_program，工作人员为 visit")
    impact: ImpactIn = Field(default_factory=ImpactIn)
    attachment_ids: list[int] = Field(default_factory=list, max_length=9)
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
                    "unit_code": "330106012", "enterprise_uscc": "91330106MA2CFXXX1L",
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
                 "public": True, "via": "api"}
            ]
        }
    )

    id: int
    type: str
    actor: str
    at: LocalDateTime
    from_status: Status | None
    to_status: Status | None
    from_unit_code: str | None
    to_unit_code: str | None
    note: str | None
    public: bool
    via: str


class AppealEventPage(BaseModel):
    items: list[AppealEventRead]
    next_cursor: str | None = None


class CategoryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "funding", "label": "资金"}]})

    code: Category
    label: str


class CategoryList(BaseModel):
    items: list[CategoryRead]
