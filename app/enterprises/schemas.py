from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.core.validation import Address, Mobile, Name, RowId, Tag, UnitCode, Uscc

_EXAMPLE = {
    "uscc": "91330106MA2CF0001M",
    "name": "杭州西溪智造科技有限公司",
    "street_code": "330106012",
    "address": "杭州市西湖区西溪路 518 号",
    "contact_name": "陈立",
    "contact_mobile": "13812341234",
    "tags": ["规上企业", "专精特新"],
}


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    uscc: Uscc = Field(description="统一社会信用代码（18 位，GB 32100-2015 校验位）")
    name: Name
    street_code: UnitCode = Field(description="属地街道/镇的单位编码")
    address: Address = ""
    contact_name: Name
    contact_mobile: Mobile
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    liaison_user_id: RowId | None = Field(default=None, description="结对服务专员")


class EnterpriseUpdate(BaseModel):
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
                {**_EXAMPLE, "contact_mobile": "138****1234", "liaison_user_id": 3,
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
    created_at: LocalDateTime
    updated_at: LocalDateTime


class EnterprisePage(BaseModel):
    items: list[EnterpriseRead]
    next_cursor: str | None = None
