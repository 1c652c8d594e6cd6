from __future__ import annotations

from app.core.time import LocalDateTime

from pydantic import BaseModel, ConfigDict, Field

from app.core.validation import Name, UnitCode
from app.enums import Tier, UnitKind


class UnitCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"code": "330106012", "name": "西溪街道", "tier": "street", "kind": "area", "parent_code": "330106"}
            ]
        },
    )

    code: UnitCode = Field(description="稳定编码，区域单位使用行政区划代码")
    name: Name
    tier: Tier
    kind: UnitKind = UnitKind.area
    parent_code: UnitCode | None = Field(default=None, description="上级单位编码；市级单位为空")


class UnitUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "西溪街道", "parent_code": "330106"}]}
    )

    name: Name | None = None
    parent_code: UnitCode | None = Field(default=None, description="移动到新的上级单位（不得形成环）")


class UnitImport(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "units": [
                        {"code": "330106", "name": "西湖区", "tier": "district", "kind": "area", "parent_code": "330100"},
                        {"code": "330106012", "name": "西溪街道", "tier": "street", "kind": "area",
                         "parent_code": "330106"},
                    ]
                }
            ]
        },
    )

    units: list[UnitCreate] = Field(min_length=1, max_length=2000)


class UnitRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "330106012", "name": "西溪街道", "tier": "street", "kind": "area", "parent_code": "330106",
                 "created_at": "2026-11-21T09:00:00+08:00"}
            ]
        }
    )

    code: str
    name: str
    tier: Tier
    kind: UnitKind
    parent_code: str | None
    created_at: LocalDateTime


class UnitPage(BaseModel):
    items: list[UnitRead]
    next_cursor: str | None = None


class UnitImportResult(BaseModel):
    created: int = Field(examples=[12])
    items: list[UnitRead]
