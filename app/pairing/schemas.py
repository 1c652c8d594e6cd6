from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.core.time import LocalDateTime
from app.core.validation import Address, Name, Note, RowId, UnitCode, Uscc


class LiaisonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"user_id": 7, "note": "市经信局选派"}]})

    user_id: RowId = Field(description="结对的服务专员（角色为 liaison 的用户），派出单位可在任一层级")
    note: Note | None = None


class PairingRead(BaseModel):
    id: int
    enterprise_uscc: str
    user_id: int
    user_name: str
    unit_code: str = Field(description="派出单位（结对开始时服务专员所在单位）")
    unit_name: str
    note: str | None
    started_at: LocalDateTime
    started_by: str
    ended_at: LocalDateTime | None
    ended_by: str | None


class PairingPage(BaseModel):
    items: list[PairingRead]
    next_cursor: str | None = None


class PairingImportItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc
    user_id: RowId
    note: Note | None = None


class PairingImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [
        {"uscc": "91330106MA2CF0001M", "user_id": 7}]}]})

    items: list[PairingImportItem] = Field(min_length=1, max_length=2000, description="每次最多 2000 行")


class PairingImportResult(BaseModel):
    paired: int = Field(description="新建的结对")
    unchanged: int = Field(description="已是该专员结对、未变化")
    replaced: int = Field(description="结束了原结对并改为新专员")
    items: list[PairingRead]


class BuildingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "湖墅金融大厦", "street_code": "330105005", "address": "杭州市拱墅区湖墅南路 1 号", "manager_user_id": 3}]})

    name: Name
    street_code: UnitCode = Field(description="包干楼宇的街道/镇")
    address: Address = ""
    manager_user_id: RowId | None = Field(default=None, description="楼长（单位工作人员）")


class BuildingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"manager_user_id": 3}]})

    name: Name | None = None
    address: Address | None = None
    manager_user_id: RowId | None = None


class BuildingRead(BaseModel):
    id: int
    name: str
    street_code: str
    address: str
    manager_user_id: int | None
    manager_name: str | None
    enterprises: int = Field(description="楼内登记的企业数")
    created_at: LocalDateTime
    updated_at: LocalDateTime


class BuildingPage(BaseModel):
    items: list[BuildingRead]
    next_cursor: str | None = None


class MyEnterprise(BaseModel):
    uscc: str
    name: str
    street_code: str
    street_name: str
    via: str = Field(description="pairing（结对）或 building（楼长）")
    key_level: str | None
    paired_since: date | None = Field(description="当前结对开始日期（楼长包干的企业为空）")
    last_visited_on: date | None
    days_since: int | None = Field(description="距最近一次走访的天数")
    next_due_on: date | None = Field(description="按走访频次应走访的日期")
    visit_overdue: bool
    open_appeals: int = Field(description="未办结的诉求数")


class MyEnterprisePage(BaseModel):
    items: list[MyEnterprise]
    next_cursor: str | None = None
