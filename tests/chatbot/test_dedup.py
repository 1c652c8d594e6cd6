"""msgId de-duplication: the dedup row commits with the action, so a crash or a concurrent redelivery can never
apply a command twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.appeals.models import AppealEvent
from app.chatbot import replies, service
from app.chatbot.models import ChatbotMessage
from app.chatbot.schemas import RobotMessageIn
from tests.chatbot.conftest import robot_payload
from tests.helpers import appeal_body

N1 = "ZQ2026-000001"


@pytest.fixture
def signed(client, keys, robot):  # type: ignore[no-untyped-def]
    filed = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"]).json()
    assert "已签收" in robot.say(f"签收 {N1}")
    return filed


def _count(session: Session, model: type) -> int:
    session.expire_all()
    n = session.exec(select(func.count()).select_from(model)).one()
    session.rollback()  # SQLite: a test's open read transaction would hold the write lock
    return n


def test_crash_after_the_action_before_the_reply_is_stored(robot, signed, session, clock, monkeypatch):
    def boom(*args, **kwargs):  # the process dies while rendering the reply
        raise RuntimeError("killed")

    monkeypatch.setattr(replies, "action_done", boom)
    body = robot_payload(f"进展 {N1} 已上门勘察", msg_id="msgCrash1")
    assert robot.post(body).status_code == 500
    monkeypatch.undo()
    events = _count(session, AppealEvent)
    row = session.exec(select(ChatbotMessage).where(ChatbotMessage.msg_id == "msgCrash1")).one()
    assert row.status == "processing" and row.reply is None  # the action and the row committed together
    session.rollback()

    clock.advance(seconds=3)  # DingTalk's retry comes while the row is young
    assert "正在处理，请稍候" in robot.post(body).json()["markdown"]["text"]
    clock.advance(seconds=30)
    assert "该指令已执行" in robot.post(body).json()["markdown"]["text"]
    assert _count(session, AppealEvent) == events  # the progress note was recorded once


def test_crash_before_the_commit_leaves_nothing_and_the_retry_runs_once(robot, signed, session, monkeypatch):
    from app.appeals import workflow

    real = workflow.perform_action

    def dies(session, *args, **kwargs):  # the action's transaction never commits
        raise RuntimeError("killed")

    monkeypatch.setattr(workflow, "perform_action", dies)
    body = robot_payload(f"进展 {N1} 已上门勘察", msg_id="msgCrash2")
    assert robot.post(body).status_code == 500
    assert _count(session, ChatbotMessage) == 1  # only the 签收 message: nothing of the crashed one
    monkeypatch.setattr(workflow, "perform_action", real)
    events = _count(session, AppealEvent)
    assert "已记录进展" in robot.post(body).json()["markdown"]["text"]
    assert "已记录进展" in robot.post(body).json()["markdown"]["text"]
    assert _count(session, AppealEvent) == events + 1


def test_concurrent_redeliveries_apply_once(engine, signed, clock):
    message = RobotMessageIn.model_validate(robot_payload(f"进展 {N1} 并发测试", msg_id="msgRace1"))
    barrier = threading.Barrier(4)
    results: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                reply = service.handle_robot_message(session, message, now=clock.now)
                results.append(reply.markdown.text if reply.markdown else "")
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Session(engine) as session:
        notes = session.exec(select(AppealEvent).where(AppealEvent.type == "progress")).all()
        assert len(notes) == 1
        assert session.exec(select(func.count()).select_from(ChatbotMessage)
                            .where(ChatbotMessage.msg_id == "msgRace1")).one() == 1
    assert len(results) == 4
    assert all("已记录进展" in text or "正在处理" in text for text in results), results
    assert sum("已记录进展" in text for text in results) >= 1


def test_old_rows_do_not_block_new_messages(robot, signed, clock):
    clock.advance(days=40)
    assert "已记录进展" in robot.say(f"进展 {N1} 一个多月后继续跟进")
    assert timedelta(seconds=10) == service.PROCESSING_STALE_AFTER
