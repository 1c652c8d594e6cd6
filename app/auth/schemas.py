from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.time import LocalDateTime
from app.core.validation import JsonBool, Mobile, Name, UnitCode
from app.enums import Role

DingTalkUserId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_$:.\-]{1,64}$")]


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "王晓明", "mobile": "13800001111", "role": "liaison", "unit_code": "330106012",
                 "dingtalk_userid": "wangxm01"}
            ]
        },
    )

    name: Name
    mobile: Mobile | None = None
    role: Role = Field(description="city_admin | district_admin | street_admin | liaison")
    unit_code: UnitCode
    dingtalk_userid: DingTalkUserId | None = Field(default=None, description="钉钉 userId（senderStaffId）")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"dingtalk_userid": "wangxm01"}]})

    name: Name | None = None
    mobile: Mobile | None = None
    dingtalk_userid: DingTalkUserId | None = None
    active: JsonBool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "name": "王晓明", "mobile": "138****1111", "role": "liaison", "unit_code": "330106012",
                 "dingtalk_userid": "wangxm01", "active": True, "created_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    id: int
    name: str
    mobile: str | None
    role: Role
    unit_code: str
    dingtalk_userid: str | None
    active: bool
    created_at: LocalDateTime


class UserPage(BaseModel):
    items: list[UserRead]
    next_cursor: str | None = None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "王晓明的脚本"}]})

    name: Name | None = None


class ApiKeyCreated(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 5, "key": "zq_3kT…", "prefix": "zq_3kT9aB1", "name": "王晓明的脚本", "role": "liaison",
                 "unit_code": "330106012", "created_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    id: int
    key: str = Field(description="只显示这一次，请妥善保存 (shown once)")
    prefix: str
    name: str
    role: Role
    unit_code: str
    created_at: LocalDateTime
