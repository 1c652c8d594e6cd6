"""Request and response shapes of policies, pushes, deliveries and service packages (DESIGN §12)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.time import LocalDateTime
from app.core.validation import JsonDate, JsonInt, LongText, Note, Tag, Title, UnitCode, refuse_controls
from app.enums import Outcome, PolicyBenefit, PolicyStatus
from app.policies.matching import PolicyKind

# A link is an identifier: a control character in it is refused, never stripped (it would name another page).
PolicyUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(refuse_controls)]

class PolicyTargetIn(BaseModel):
    """适用条件. An empty list or null means "no condition"; codes are checked by the service (field named)."""

    model_config = ConfigDict(extra="forbid")

    tags_any: list[Tag] = Field(default_factory=list, max_length=20, description="具备任一标签")
    tags_all: list[Tag] = Field(default_factory=list, max_length=20, description="具备全部标签")
    industries: list[Tag] = Field(default_factory=list, max_length=50,
                                  description="GB/T 4754-2017 门类或门类+大类，如 C 或 C39（按前缀匹配）")
    scales: list[Tag] = Field(default_factory=list, max_length=4, description="large|medium|small|micro")
    key_levels: list[Tag] = Field(default_factory=list, max_length=3, description="city|district|street")
    min_employees: JsonInt | None = Field(default=None, ge=0, le=10_000_000)
    max_employees: JsonInt | None = Field(default=None, ge=0, le=10_000_000)


class PolicyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "title": "西湖区专精特新制造企业技术改造补助", "issuer_unit_code": "330106",
            "summary": "对 20–300 人的专精特新制造企业技术改造项目，按设备投资额 10% 给予补助，最高 200 万元。",
            "url": "https://www.hzxh.gov.cn/policy/2026-12", "kind": "targeted", "benefit": "subsidy",
            "target": {"tags_any": ["专精特新"], "industries": ["C"], "min_employees": 20, "max_employees": 300},
            "valid_from": "2026-01-01", "valid_to": "2026-12-31", "apply_by": "2026-10-31",
        }]},
    )

    title: Title
    issuer_unit_code: UnitCode = Field(description="发布单位；政策范围为其辖区（部门为其所属区域）")
    summary: LongText
    url: PolicyUrl | None = Field(default=None, description="政策原文链接（https）")
    kind: PolicyKind = Field(description="universal 普惠政策 | targeted 个性政策")
    benefit: PolicyBenefit
    target: PolicyTargetIn = Field(default_factory=PolicyTargetIn)
    valid_from: JsonDate
    valid_to: JsonDate | None = None
    apply_by: JsonDate | None = Field(default=None, description="申报截止日")


class PolicyUpdate(BaseModel):
    """Fields to change; the issuer cannot change (withdraw and publish anew)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    summary: LongText | None = None
    url: PolicyUrl | None = None
    kind: PolicyKind | None = None
    benefit: PolicyBenefit | None = None
    target: PolicyTargetIn | None = None
    valid_from: JsonDate | None = None
    valid_to: JsonDate | None = None
    apply_by: JsonDate | None = None


class PolicyRead(BaseModel):
    id: int
    title: str
    issuer_unit_code: str
    issuer_unit_name: str
    scope_unit_code: str = Field(description="政策覆盖的区域单位")
    summary: str
    url: str | None
    kind: PolicyKind
    benefit: PolicyBenefit
    target: PolicyTargetIn
    valid_from: date
    valid_to: date | None
    apply_by: date | None
    status: PolicyStatus
    version: int
    created_at: LocalDateTime
    updated_at: LocalDateTime
    withdrawn_at: LocalDateTime | None


class PolicyPage(BaseModel):
    items: list[PolicyRead]
    next_cursor: str | None = None


class MatchRead(BaseModel):
    uscc: str
    name: str
    street_code: str
    reasons: list[str] = Field(description="适用理由（中文）")


class MatchPage(BaseModel):
    items: list[MatchRead]
    next_cursor: str | None = None


class PolicyForEnterprise(BaseModel):
    policy: PolicyRead
    reasons: list[str]
    delivery_id: int | None = Field(default=None, description="已推送给该企业时的推送记录")


class PolicyForEnterprisePage(BaseModel):
    items: list[PolicyForEnterprise]
    next_cursor: str | None = None


class PushRead(BaseModel):
    push_id: int
    policy_id: int
    matched: int = Field(description="本次匹配的企业数")
    new_deliveries: int = Field(description="新增推送数（此前已推送的企业不重复推送）")
    pushed_at: LocalDateTime


class DeliveryRead(BaseModel):
    id: int
    policy: PolicyRead
    enterprise_uscc: str
    reasons: list[str]
    delivered_at: LocalDateTime
    read_at: LocalDateTime | None
    interest_at: LocalDateTime | None
    interest_appeal_id: int | None
    outcome: Outcome | None
    outcome_amount_cny: int | None
    outcome_note: str | None
    outcome_at: LocalDateTime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = None


class InterestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = Field(default=None, description="意向说明，如项目情况、联系人")


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Outcome
    amount_cny: JsonInt | None = Field(default=None, ge=0, le=10**13, description="兑现金额（元），已兑现时必填")
    note: Annotated[Note, StringConstraints(max_length=500)] | None = None


class LiaisonCard(BaseModel):
    name: str
    unit_name: str
    mobile_masked: str


class TargetedItem(BaseModel):
    policy: PolicyRead
    reasons: list[str]


class ServicePackage(BaseModel):
    """服务包 = 普惠政策包 (universal) + 个性政策包 (targeted) + 诉求互动包 (liaison, open appeals, last visit)."""

    enterprise_uscc: str
    liaison: LiaisonCard | None
    universal: list[PolicyRead]
    targeted: list[TargetedItem]
    open_appeals: int
    last_visit_on: date | None


class PolicyStats(BaseModel):
    """统计期内推送（delivered_at 在期内）的政策送达；已读、意向申报、兑现统计至查询时。区域单位按企业属地街道，部门按发布单位。
    口径见 docs/statistics.md “Policy figures”。"""

    unit_code: str
    policies: int = Field(description="推送政策数：这些送达涉及的不同政策数")
    deliveries: int = Field(description="推送家次：送达记录数（每项政策每家企业至多一条，重复推送只增加新匹配的企业）")
    enterprises_reached: int = Field(description="触达企业数（去重）")
    read_rate: float | None = Field(description="已读率 0..1（4 位小数）= 已读的送达 / 送达；意向申报也算已读；无推送时为 null")
    interested: int = Field(description="意向申报数：提出意向申报的送达数")
    granted: int = Field(description="已兑现数：兑现结果为 granted 的送达数")
    granted_amount_cny: int = Field(description="兑现金额（元）：已兑现送达登记的金额合计")
