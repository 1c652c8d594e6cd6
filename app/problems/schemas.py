from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.time import LocalDateTime
from app.core.validation import Label, LongText, RowId, Title, UnitCode
from app.enums import AppealKind, Category, Status

GroupKind = Literal["common", "institutional"]
ResolutionCode = Label  # as an appeal's resolution_code (ActionIn): one line, ≤ 30 characters, no control character


class ProblemGroupCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "common", "title": "拱墅区多家企业夏季用电负荷指标不足",
                 "description": "湖墅、康桥街道多家制造企业反映迎峰度夏期间用电负荷指标不足、被要求错峰限产，需区级统筹协调供电。",
                 "unit_code": "330105"}
            ]
        },
    )

    kind: GroupKind = Field(description="common 共性问题 | institutional 体制机制性问题")
    title: Title
    description: LongText
    unit_code: UnitCode = Field(description="承办单位（通常为区县或市级专班），须在调用方权限范围内")


class ProblemGroupLink(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"appeal_ids": [101, 102, 117]}]})

    appeal_ids: list[RowId] = Field(min_length=1, max_length=200,
                                    description="要归入本组的诉求 id（可来自多家企业、多个街道）")

    @field_validator("appeal_ids")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))


class ProblemGroupAssign(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"unit_code": "330100"}]})

    unit_code: UnitCode = Field(description="新的承办单位（例如提级到市级专班）")


class ProblemGroupResolve(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"public_reply": "经区发改局协调国网杭州供电公司，已为相关企业调增夏季用电负荷指标，自8月1日起执行。",
                 "resolution_code": "已解决"}
            ]
        },
    )

    public_reply: LongText = Field(description="公开答复，写入每个关联诉求并通知企业")
    resolution_code: ResolutionCode = Field(description="办结类型，例如 已解决、部分解决、已解释答复")


class LinkedAppeal(BaseModel):
    id: int
    number: str
    title: str
    enterprise_name: str
    street_code: str
    status: Status
    category: Category
    linked_at: LocalDateTime


class SkippedAppeal(BaseModel):
    id: int
    number: str
    status: Status
    reason: str


_GROUP_EXAMPLE = {
    "id": 7, "kind": "common", "title": "拱墅区多家企业夏季用电负荷指标不足",
    "description": "湖墅、康桥街道多家制造企业反映迎峰度夏期间用电负荷指标不足。", "unit_code": "330105",
    "unit_name": "拱墅区", "status": "open", "created_by": "拱墅区管理员（拱墅区）", "appeal_count": 2,
    "enterprise_count": 2, "street_count": 2, "resolution_code": None, "public_reply": None, "resolved_at": None,
    "created_at": "2026-11-21T09:00:00+08:00", "updated_at": "2026-11-21T09:00:00+08:00",
    "appeals": [{"id": 101, "number": "ZQ2026-000101", "title": "夏季用电指标不足被要求限产",
                 "enterprise_name": "杭州湖墅精密机械有限公司", "street_code": "330105005", "status": "in_progress",
                 "category": "energy", "linked_at": "2026-11-21T09:05:00+08:00"}],
}


class ProblemGroupRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GROUP_EXAMPLE]})

    id: int
    kind: GroupKind
    title: str
    description: str
    unit_code: str
    unit_name: str
    status: Literal["open", "resolved"]
    created_by: str
    appeal_count: int
    enterprise_count: int
    street_count: int
    resolution_code: str | None
    public_reply: str | None
    resolved_at: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime
    appeals: list[LinkedAppeal] = Field(description="关联诉求（权限范围外的诉求不列出，但计入计数）")


class ProblemGroupResolved(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"group": {**_GROUP_EXAMPLE, "status": "resolved", "resolution_code": "已解决"},
                 "resolved_appeal_ids": [101], "skipped": [
                     {"id": 117, "number": "ZQ2026-000117", "status": "pending_info",
                      "reason": "诉求处于待补充状态，未随问题组办结"}]}
            ]
        }
    )

    group: ProblemGroupRead
    resolved_appeal_ids: list[int] = Field(description="随本组办结的诉求（各自记录办结事件并通知企业）")
    skipped: list[SkippedAppeal] = Field(description="未随本组办结的诉求及原因")


class ProblemListItem(BaseModel):
    kind: AppealKind
    group_id: int | None = Field(description="共性/体制机制性问题组 id；个性问题为 null")
    appeal_id: int | None = Field(description="个性问题的诉求 id；问题组为 null")
    number: str | None
    title: str
    status: str = Field(description="问题组 open|resolved；个性问题为诉求状态")
    unit_code: str
    unit_name: str
    category: Category | None
    appeal_count: int
    enterprise_count: int
    street_count: int
    created_at: LocalDateTime


class ProblemListPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "common", "items": [
                    {"kind": "common", "group_id": 7, "appeal_id": None, "number": None,
                     "title": "拱墅区多家企业夏季用电负荷指标不足", "status": "open", "unit_code": "330105",
                     "unit_name": "拱墅区", "category": None, "appeal_count": 5, "enterprise_count": 5,
                     "street_count": 2, "created_at": "2026-11-21T09:00:00+08:00"}], "next_cursor": None}
            ]
        }
    )

    kind: AppealKind
    items: list[ProblemListItem]
    next_cursor: str | None = None


class SimilarAppeal(BaseModel):
    appeal_id: int
    number: str
    title: str
    enterprise_name: str
    street_code: str
    status: Status
    category: Category
    created_at: LocalDateTime
    score: float = Field(ge=0, le=1, description="标题+描述的字符 n-gram 相似度")
    likely_duplicate: bool = Field(description="同一企业 30 天内同类诉求：疑似重复，可由管理员合并")
    reason: str = Field(description="推荐理由（中文）")


class SimilarAppeals(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"appeal_id": 101, "number": "ZQ2026-000101", "items": [
                    {"appeal_id": 98, "number": "ZQ2026-000098", "title": "用电负荷指标不够导致限产",
                     "enterprise_name": "杭州康桥新材料有限公司", "street_code": "330105011", "status": "in_progress",
                     "category": "energy", "created_at": "2026-11-18T10:00:00+08:00", "score": 0.62,
                     "likely_duplicate": False,
                     "reason": "文字相似度62%，同属能源类；不同企业反映相同问题，可考虑归入共性问题"}]}
            ]
        }
    )

    appeal_id: int
    number: str
    items: list[SimilarAppeal] = Field(description="仅为建议，按疑似重复优先、相似度从高到低排列，最多 10 条")
