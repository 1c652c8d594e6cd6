"""Issue 14 §4: a NUL byte in a signed chatbot callback (`text.content`, `senderStaffId`, `msgId`,
`conversationId`) was a 500 on PostgreSQL, which DingTalk then retried. Control characters are now stripped from what
a person typed and refused (a Chinese 422 naming the field) in identifiers, before anything touches the database.
Both databases."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.chatbot.models import ChatbotMessage
from app.core.messages_zh import has_chinese
from tests.chatbot.conftest import card_payload, post_card, robot_payload
from tests.helpers import assert_problem

pytestmark = pytest.mark.db


def _chinese_422(response, field: str) -> dict:  # type: ignore[no-untyped-def]
    body = assert_problem(response, 422, field=field, code="validation_error")
    assert all(has_chinese(e["message"]) for e in body["errors"]), body
    return body


@pytest.mark.parametrize("field", ["msgId", "senderStaffId", "conversationId", "conversationType", "msgtype"])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85"])
def test_a_control_character_in_an_identifier_is_refused_before_the_database(robot, session, city, field, char):
    body = robot_payload("待办")
    body[field] = f"{body[field]}{char}x"
    _chinese_422(robot.post(body), f"body.{field}")
    assert session.exec(select(ChatbotMessage)).all() == []


@pytest.mark.parametrize("where", ["text", "senderNick"])
def test_control_characters_in_typed_text_are_stripped(robot, session, city, where):
    body = robot_payload("帮\x00助\x07")
    if where == "senderNick":
        body = robot_payload("帮助", nick="王\x00晓明\x9b", sender="nobody-registered")
    response = robot.post(body)
    assert response.status_code == 200, response.text
    reply = response.json()
    text = json.dumps(reply, ensure_ascii=False)
    assert "\x00" not in text and "\\u0000" not in text and "\x9b" not in text
    assert has_chinese(reply["markdown"]["text"])
    stored = session.exec(select(ChatbotMessage)).one()
    assert stored.content in ("帮助",) and "\x00" not in json.dumps(stored.reply)
    if where == "senderNick":
        assert "王晓明" in reply["markdown"]["text"]
    else:
        assert "助企机器人" in reply["markdown"]["text"]  # the help command ran


def test_a_top_level_content_string_is_stripped_too(robot, city):
    body = robot_payload("x")
    del body["text"]
    body["content"] = "帮助\x00"
    response = robot.post(body)
    assert response.status_code == 200 and "助企机器人" in response.json()["markdown"]["text"], response.text


def test_an_over_quota_error_message_is_stripped(robot, session, city):
    body = robot_payload("x", errorCode="20001", errorMessage="额度\x00用尽")
    assert robot.post(body).status_code == 200
    from app.notifications.models import AdminAlert

    alert = session.exec(select(AdminAlert)).one()
    assert "\x00" not in alert.message and "额度用尽" in alert.message


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b.update(userId="wangxm01\x00"), "body.userId"),
    (lambda b: b.update(outTrackId="card\x01"), "body.outTrackId"),
    (lambda b: b.update(content=json.dumps({"cardPrivateData": {"actionIds": ["sign"], "params": {
        "action": "sign", "number": "ZQ2026-000001\x00"}}})), "body.content"),
    (lambda b: b.update(content=json.dumps({"cardPrivateData": {"actionIds": ["sign\x00"], "params": {}}})),
     "body.content.cardPrivateData.actionIds.0"),
])
def test_a_control_character_in_a_card_callback_is_refused(client, clock, session, city, mutate, field):
    body = card_payload("wangxm01", "sign", number="ZQ2026-000001")
    mutate(body)
    _chinese_422(post_card(client, clock, body), field)
    assert session.exec(select(ChatbotMessage)).all() == []
