"""GET/PUT /api/v1/visit-policy: the visit cadence (走访频次) as data (DESIGN §11)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from app.auth.deps import AdminDep, StaffDep
from app.core.time import LocalDateTime
from app.core.validation import JsonInt, parse_if_match
from app.deps import NowDep, SessionDep
from app.errors import problem_responses
from app.visits import policy_service
from app.visits.cadence import VisitPolicy
from app.visits.models import VisitPolicySetting

router = APIRouter(prefix="/api/v1", tags=["visits"])
_EXAMPLE = {"default_days": 30, "by_key_level": {"city": 14, "district": 21, "street": 30}}


class VisitPolicyIn(BaseModel):
    # Types and ranges are checked by app.visits.cadence (every problem at once, naming the field); pydantic only
    # makes sure the shape is an object.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    default_days: JsonInt = Field(description="未列入重点企业级别的结对企业：最长走访间隔（日历天）")
    by_key_level: dict[str, JsonInt] = Field(default_factory=dict, description="重点企业级别 city|district|street → 天数")


class VisitPolicyRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_EXAMPLE, "version": 2, "updated_by": "市助企专班",
                                                              "updated_at": "2026-11-21T09:00:00+08:00"}]})

    default_days: int
    by_key_level: dict[str, int]
    version: int = Field(description="0：尚未修改过的默认值")
    updated_by: str | None
    updated_at: LocalDateTime | None


def _read(policy: VisitPolicy, row: VisitPolicySetting | None) -> VisitPolicyRead:
    return VisitPolicyRead(default_days=policy.default_days, by_key_level=dict(policy.by_key_level),
                           version=row.version if row else 0, updated_by=row.updated_by if row else None,
                           updated_at=row.updated_at if row else None)


@router.get("/visit-policy", response_model=VisitPolicyRead, responses=problem_responses(403))
def get_visit_policy(session: SessionDep, principal: StaffDep) -> VisitPolicyRead:
    """走访频次：结对企业超过天数未走访即为逾期（从最近一次走访或结对开始起算，取较晚者）。"""
    return _read(*policy_service.current(session))


@router.put("/visit-policy", response_model=VisitPolicyRead, responses=problem_responses(403, 412))
def put_visit_policy(data: VisitPolicyIn, session: SessionDep, principal: AdminDep, now: NowDep,
                     if_match: Annotated[str | None, Header(alias="If-Match", max_length=40,
                                                           description="当前 version，防止覆盖他人修改")] = None
                     ) -> VisitPolicyRead:
    """修改走访频次（仅市级管理员）。"""
    expected = parse_if_match(if_match, resource="走访频次")
    return _read(*policy_service.save(session, principal, data.default_days, data.by_key_level, now=now,
                                      if_match=expected))

