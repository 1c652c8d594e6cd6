"""Admin API of DingTalk as the liaison's workplace: the group of a unit where its appeal cards go. Thin."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminDep
from app.deps import NowDep, SessionDep
from app.dingtalk import service
from app.dingtalk.schemas import DingTalkGroupIn, DingTalkGroupRead, group_read
from app.errors import problem_responses

router = APIRouter(prefix="/api/v1", tags=["dingtalk"])


@router.put("/units/{code}/dingtalk-group", response_model=DingTalkGroupRead, responses=problem_responses(403, 404))
def set_dingtalk_group(code: str, data: DingTalkGroupIn, session: SessionDep, principal: AdminDep,
                       now: NowDep) -> DingTalkGroupRead:
    """登记单位的钉钉群（openConversationId）：新诉求以互动卡片发到该群，群内可一键签收。"""
    return group_read(*service.set_group(session, principal, code, data, now=now))


@router.get("/units/{code}/dingtalk-group", response_model=DingTalkGroupRead, responses=problem_responses(403, 404))
def get_dingtalk_group(code: str, session: SessionDep, principal: AdminDep) -> DingTalkGroupRead:
    """读取单位登记的钉钉群。"""
    return group_read(*service.get_group(session, principal, code))


@router.delete("/units/{code}/dingtalk-group", response_model=DingTalkGroupRead,
               responses=problem_responses(403, 404))
def delete_dingtalk_group(code: str, session: SessionDep, principal: AdminDep) -> DingTalkGroupRead:
    """取消单位的钉钉群登记（已发出的卡片仍可使用）；返回被删除的登记。"""
    return group_read(*service.delete_group(session, principal, code))
