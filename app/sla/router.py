from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.auth.deps import AdminDep, StaffDep
from app.deps import NowDep, SessionDep
from app.enums import Urgency
from app.errors import problem_responses
from app.sla import service
from app.sla.models import SlaPolicyRecord
from app.sla.policy import Duration, SlaPolicy
from app.sla.schemas import (
    CalendarOverrideRead,
    CalendarYearIn,
    CalendarYearRead,
    DurationRead,
    SlaPolicyIn,
    SlaPolicyList,
    SlaPolicyRead,
    UrgencyPolicyIO,
)

router = APIRouter(prefix="/api/v1", tags=["sla"])
Year = Annotated[int, Path(ge=2000, le=2100)]


def _duration(d: Duration | None) -> DurationRead | None:
    return DurationRead(amount=d.amount, unit=d.unit) if d else None


def to_read(policy: SlaPolicy, record: SlaPolicyRecord | None) -> SlaPolicyRead:
    return SlaPolicyRead(
        urgency=policy.urgency, version=policy.version, respond=_duration(policy.respond),  # type: ignore[arg-type]
        plan=_duration(policy.plan), feedback=_duration(policy.feedback), resolve=_duration(policy.resolve),  # type: ignore[arg-type]
        rating_window_days=policy.rating_window_days, promise=service.promise_text(policy),
        changed_by=record.changed_by if record else None, changed_at=record.created_at if record else None,
    )


def _year_read(session: SessionDep, year: int) -> CalendarYearRead:
    covered, source, rows = service.calendar_year(session, year)
    return CalendarYearRead(year=year, covered=covered, source=source,
                            overrides=[CalendarOverrideRead(day=r.day, workday=r.workday, note=r.note) for r in rows])


@router.get("/sla-policies", response_model=SlaPolicyList, responses=problem_responses(403))
def list_policies(session: SessionDep, principal: StaffDep) -> SlaPolicyList:
    """三色时限规则（红/黄/绿）。"""
    return SlaPolicyList(items=[to_read(*service.policy_record(session, u)) for u in Urgency])


@router.get("/sla-policies/{urgency}", response_model=SlaPolicyRead, responses=problem_responses(403))
def get_policy(urgency: Urgency, session: SessionDep, principal: StaffDep) -> SlaPolicyRead:
    """读取某一颜色的时限规则。"""
    return to_read(*service.policy_record(session, urgency))


@router.put("/sla-policies/{urgency}", response_model=SlaPolicyRead, responses=problem_responses(403))
def put_policy(urgency: Urgency, data: SlaPolicyIn, session: SessionDep, principal: AdminDep,
               now: NowDep) -> SlaPolicyRead:
    """市级管理员修改时限规则；生成新版本，新诉求按新版本计算期限。"""
    return to_read(*service.update_policy(session, principal, urgency, data, now=now))


@router.get("/urgency-policy", response_model=UrgencyPolicyIO, responses=problem_responses(403))
def get_urgency_policy(session: SessionDep, principal: StaffDep) -> UrgencyPolicyIO:
    """红黄绿赋码门槛。"""
    return service.read_urgency_policy(session)


@router.put("/urgency-policy", response_model=UrgencyPolicyIO, responses=problem_responses(403))
def put_urgency_policy(data: UrgencyPolicyIO, session: SessionDep, principal: AdminDep,
                       now: NowDep) -> UrgencyPolicyIO:
    """市级管理员调整赋码门槛。"""
    return service.update_urgency_policy(session, principal, data, now=now)


@router.get("/calendar/{year}", response_model=CalendarYearRead, responses=problem_responses(403))
def get_calendar_year(year: Year, session: SessionDep, principal: StaffDep) -> CalendarYearRead:
    """某年的工作日历覆盖情况与管理员录入的调整。"""
    return _year_read(session, year)


@router.put("/calendar/{year}", response_model=CalendarYearRead, responses=problem_responses(403))
def put_calendar_year(year: Year, data: CalendarYearIn, session: SessionDep, principal: AdminDep,
                      now: NowDep) -> CalendarYearRead:
    """录入某年国务院放假安排（整年替换）。Bulk upload a year's holidays and make-up workdays."""
    service.replace_calendar_year(session, principal, year, data, now=now)
    return _year_read(session, year)
