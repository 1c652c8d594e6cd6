"""Problem groups, the three problem lists and similar-appeal suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import AdminDep, StaffDep
from app.core.pagination import CursorQuery, LimitQuery, decode_cursor_id
from app.core.validation import IdPath
from app.deps import NowDep, SessionDep, SettingsDep
from app.enums import AppealKind
from app.errors import problem_responses
from app.problems import service, similar, views
from app.problems.schemas import (
    ProblemGroupAssign,
    ProblemGroupCreate,
    ProblemGroupLink,
    ProblemGroupRead,
    ProblemGroupResolve,
    ProblemGroupResolved,
    ProblemListPage,
    SimilarAppeals,
    SkippedAppeal,
)

router = APIRouter(prefix="/api/v1", tags=["problems"])


@router.post("/problem-groups", status_code=201, response_model=ProblemGroupRead, responses=problem_responses(403))
def create_group(data: ProblemGroupCreate, session: SessionDep, principal: AdminDep, now: NowDep) -> ProblemGroupRead:
    """建立共性问题或体制机制性问题组，并交由一个单位（通常为区县或市级专班）统一办理。"""
    group = service.create_group(session, principal, data, now=now)
    return views.group_read(session, principal, group)


@router.get("/problem-groups/{group_id}", response_model=ProblemGroupRead, responses=problem_responses(403))
def get_group(group_id: IdPath, session: SessionDep, principal: StaffDep) -> ProblemGroupRead:
    """读取问题组及其关联诉求。"""
    return views.group_read(session, principal, service.get_visible(session, principal, group_id))


@router.post("/problem-groups/{group_id}/appeals", response_model=ProblemGroupRead,
             responses=problem_responses(403, 404, 409))
def link_appeals(group_id: IdPath, data: ProblemGroupLink, session: SessionDep, principal: AdminDep,
                 now: NowDep) -> ProblemGroupRead:
    """把多家企业、多个街道的诉求归入问题组；诉求的问题类型随之改为该组类型，并各自记录时间线事件。"""
    group = service.link_appeals(session, principal, group_id, data.appeal_ids, now=now)
    return views.group_read(session, principal, group)


@router.post("/problem-groups/{group_id}/assign", response_model=ProblemGroupRead,
             responses=problem_responses(403, 404, 409))
def assign_group(group_id: IdPath, data: ProblemGroupAssign, session: SessionDep, principal: AdminDep,
                 now: NowDep) -> ProblemGroupRead:
    """改变问题组的承办单位（例如提级到市级专班）。"""
    group = service.assign_group(session, principal, group_id, data.unit_code, now=now)
    return views.group_read(session, principal, group)


@router.post("/problem-groups/{group_id}/resolve", response_model=ProblemGroupResolved,
             responses=problem_responses(403, 404, 409))
def resolve_group(group_id: IdPath, data: ProblemGroupResolve, session: SessionDep, principal: AdminDep,
                  now: NowDep) -> ProblemGroupResolved:
    """办结问题组：以同一公开答复办结每个在办的关联诉求（各自记录办结事件、通知企业、生成电话回访任务）。"""
    outcome = service.resolve_group(session, principal, group_id, data, now=now)
    return ProblemGroupResolved(
        group=views.group_read(session, principal, outcome.group), resolved_appeal_ids=[a.id for a in outcome.resolved],  # type: ignore[misc]
        skipped=[SkippedAppeal(id=s.appeal.id, number=s.appeal.number, status=s.appeal.status, reason=s.reason)  # type: ignore[arg-type]
                 for s in outcome.skipped],
    )


@router.get("/problem-lists", response_model=ProblemListPage, responses=problem_responses(403))
def problem_list(session: SessionDep, principal: StaffDep, settings: SettingsDep,
                 kind: Annotated[AppealKind, Query(description="individual 个性 | common 共性 | institutional 体制机制性")],
                 limit: LimitQuery = 50, cursor: CursorQuery = None) -> ProblemListPage:
    """三张问题清单：个性问题（单个诉求）、共性问题与体制机制性问题（问题组），新的在前。"""
    secret = settings.signing_secret
    items, next_cursor = views.problem_list(session, principal, kind, before_id=decode_cursor_id(cursor, secret),
                                            limit=limit, secret=secret)
    return ProblemListPage(kind=kind, items=items, next_cursor=next_cursor)


@router.get("/appeals/{appeal_id}/similar", response_model=SimilarAppeals, responses=problem_responses(403))
def similar_appeals(appeal_id: IdPath, session: SessionDep, principal: StaffDep, now: NowDep) -> SimilarAppeals:
    """相似诉求建议：同一企业 30 天内同类诉求（疑似重复），以及其他企业的相似诉求（可归入共性问题）。仅为建议。"""
    return similar.similar_appeals(session, principal, appeal_id, now=now)
