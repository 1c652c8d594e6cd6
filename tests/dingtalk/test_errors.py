"""Pure classification of DingTalk answers (docs/dingtalk.md §1–§5)."""

from __future__ import annotations

import pytest

from app.dingtalk.errors import Kind, judge_api, judge_legacy, parse, task_missing
from app.dingtalk.tokens import MARGIN_S, TokenCache


@pytest.mark.parametrize(("answer", "kind", "code"), [
    ({"errcode": 0, "task_id": 1}, Kind.ok, "dingtalk:0"),
    ({"errcode": "0"}, Kind.ok, "dingtalk:0"),
    ({"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token"}, Kind.token, "dingtalk:88/40014"),
    ({"errcode": 88, "sub_code": "40000"}, Kind.token, "dingtalk:88/40000"),
    ({"errcode": 88, "sub_code": "60011", "sub_msg": "没有调用该接口的权限"}, Kind.permanent, "dingtalk:88/60011"),
    ({"errcode": 40014}, Kind.token, "dingtalk:40014"),
    ({"errcode": 42001}, Kind.token, "dingtalk:42001"),
    ({"errcode": -1, "errmsg": "系统繁忙"}, Kind.retry, "dingtalk:-1"),
    ({"errcode": 143103}, Kind.throttled, "dingtalk:143103"),
    ({"errcode": 40096}, Kind.permanent, "dingtalk:40096"),
    ({"errcode": 60121}, Kind.permanent, "dingtalk:60121"),
])
def test_legacy_answers(answer: dict, kind: Kind, code: str) -> None:
    judgement = judge_legacy(200, answer)
    assert (judgement.kind, judgement.code) == (kind, code)


def test_legacy_transport_and_unparseable() -> None:
    assert judge_legacy(None, None).kind is Kind.retry
    assert judge_legacy(502, parse(b"<html>")).kind is Kind.retry
    assert judge_legacy(404, None).kind is Kind.permanent


@pytest.mark.parametrize(("status", "answer", "kind"), [
    (200, {"id": "task1"}, Kind.ok),
    (400, {"code": "InvalidAuthentication", "message": "不合法的access_token"}, Kind.token),
    (401, None, Kind.token),
    (400, {"code": "invalidClientIdOrSecret"}, Kind.permanent),
    (400, {"code": "todo.taskCreate.paramError", "message": "task exist"}, Kind.duplicate),  # the doc's table
    (400, {"code": "todo.taskCreate.paramError",  # the wire (docs/dingtalk.md §4)
           "message": "todo.taskCreate.paramError%!(EXTRA string=task existed sourceId is 34347712)"}, Kind.duplicate),
    (400, {"code": "todo.taskUpdate.paramError", "message": "task not exist"}, Kind.permanent),
    (400, {"code": "todo.taskCreate.paramError", "message": "subject is oversize"}, Kind.permanent),
    (400, {"code": "todo.taskCreate.flowControlError"}, Kind.throttled),
    (429, None, Kind.throttled),
    (500, {"code": "todo.taskCreate.systemError"}, Kind.retry),
    (None, None, Kind.retry),
])
def test_api_answers(status: int | None, answer: dict | None, kind: Kind) -> None:
    assert judge_api(status, answer).kind is kind


def test_the_token_cache_expires_a_margin_early_and_can_be_forgotten() -> None:
    cache = TokenCache()
    assert cache.valid(0) is None
    cache.store("t", 7200, now=1000)
    assert cache.valid(1000 + 7200 - MARGIN_S - 1) == "t"
    assert cache.valid(1000 + 7200 - MARGIN_S) is None
    cache.forget()
    assert cache.valid(1001) is None


@pytest.mark.parametrize(("code", "message", "missing"), [
    ("todo.taskUpdate.paramError", "task not exist", True),  # the doc's table
    ("todo.taskDelete.paramError", "todo.taskDelete.paramError%!(EXTRA string=task not exist)", True),  # the wire
    ("todo.taskExecutorStatusUpdate.paramError", "task not exist", True),
    ("todo.taskCreate.paramError", "todo.taskCreate.paramError%!(EXTRA string=task existed sourceId is 7)", False),
    ("todo.taskUpdate.paramError", "task not belong to bizTag", False),  # another app's task: not ours to skip
    ("todo.paramError", "user not exist", False),
    ("invalidParameter", "task not exist", False),
])
def test_a_missing_task_is_the_todo_code_and_the_phrase(code: str, message: str, missing: bool) -> None:
    assert task_missing(judge_api(400, {"code": code, "message": message})) is missing
