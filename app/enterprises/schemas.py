from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.time import LocalDateTime
from app.core.validation import Address, JsonInt, Mobile, Name, RowId, Tag, UnitCode, Uscc
from app.enterprises.industry import normalize_industry
from app.enums import KeyLevel, Scale

# GB/T 4754-2017: a 门类 letter or letter + 大类 (C39); the validator's message names the allowed form in Chinese.
Industry = Annotated[str, StringConstraints(max_length=10), AfterValidator(normalize_industry)]
Employees = Annotated[JsonInt, Field(ge=0, le=10_000_000)]


class EnterpriseFacts(BaseModel):
    """Optional facts for policy matching and the programme's reports (DESIGN §11)."""

    industry: Industry | None = Field(default=None, description="国民经济行业分类 GB/T 4754-2017：门类字母或门类+大类，如 C39")
    scale: Scale | None = Field(default=None, description="企业规模 large|medium|small|micro")
    employees: Employees | None = Field(default=None, description="从业人数")
    key_level: KeyLevel | None = Field(default=None, description="重点企业级别 city|district|street")
    building_id: RowId | None = Field(default=None, description="所在楼宇（楼长制）；须在企业所属街道")


_EXAMPLE = {
    "uscc": "91330106MA2CF0001M",
    "name": "杭州西溪智造科技有限公司",
    "street_code": "330106012",
    "address": "杭州市西湖区西溪路 518 号",
    "contact_name": "陈立",
    "contact_mobile": "13812341234",
    "tags": ["规上企业", "专精特新"],
}
_FACTS = {"industry": "C39", "scale": "medium", "employees": 120, "key_level": "district"}


class EnterpriseCreate(EnterpriseFacts):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{**_EXAMPLE, **_FACTS}]})

    uscc: Uscc = Field(description="统一社会信用代码（18 位，GB 32100-2015 校验位）")
    name: Name
    street_code: UnitCode = Field(description="属地街道/镇的单位编码")
    address: Address = ""
    contact_name: Name
    contact_mobile: Mobile
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    liaison_user_id: RowId | None = Field(default=None, description="结对服务专员")


class EnterpriseUpdate(EnterpriseFacts):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"contact_mobile": "13900001111", "tags": ["外贸"]}]}
    )

    name: Name | None = None
    street_code: UnitCode | None = None
    address: Address | None = None
    contact_name: Name | None = None
    contact_mobile: Mobile | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    liaison_user_id: RowId | None = None


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_EXAMPLE, "contact_mobile": "138****1234", "liaison_user_id": 3, "industry": "C39",
                 "industry_name": "计算机、通信和其他电子设备制造业", "scale": "medium", "employees": 120,
                 "key_level": "district", "building_id": None, "last_visited_on": "2026-11-02",
                 "next_visit_due_on": "2026-11-23", "visit_overdue": False,
                 "created_at": "2026-11-21T09:00:00+08:00", "updated_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    uscc: str
    name: str
    street_code: str
    address: str
    contact_name: str
    contact_mobile: str = Field(description="除属地街道管理员外均为掩码 (masked except for the street's admins)")
    tags: list[str]
    liaison_user_id: int | None
    industry: str | None
    industry_name: str | None = Field(description="行业中文名称（GB/T 4754-2017）")
    scale: str | None
    employees: int | None
    key_level: str | None
    building_id: int | None
    last_visited_on: date | None = Field(default=None, description="最近一次走访日期")
    next_visit_due_on: date | None = Field(default=None, description="按走访频次应走访的日期")
    visit_overdue: bool = Field(default=False, description="结对企业超过走访频次未走访")
    created_at: LocalDateTime
    updated_at: LocalDateTime


class EnterprisePage(BaseModel):
    items: list[EnterpriseRead]
    next_cursor: str | None = None
