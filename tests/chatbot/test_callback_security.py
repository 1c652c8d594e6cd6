"""Robot callbacks are verified before anything is read or written: the reference signature vectors pass through
the endpoint; stale, wrong, missing or oversized requests are 4xx problem+json and change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.chatbot.models import ChatbotMessage
from app.core import metrics
from tests.chatbot.conftest import ROBOT_URL, robot_payload, robot_sign
from tests.helpers import appeal_body, assert_problem

VECTOR_TS = "1577262236757"
VECTOR_SIGN = "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="


def _at_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


@pytest.fixture
def filed(client, keys):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"])
    assert response.status_code == 201, response.text
    return response.json()


def _nothing_done(session, appeal: dict) -> None:
    session.expire_all()
    assert session.exec(select(func.count()).select_from(ChatbotMessage)).one() == 0
    row = session.get(Appeal, appeal["id"])
    assert row.status == "submitted" and row.version == appeal["version"]
    assert session.exec(select(func.count()).select_from(AppealEvent)).one() == 1  # only "submitted"


def test_reference_vector_through_the_endpoint(robot, clock, city):
    clock.set(_at_ms(int(VECTOR_TS)))
    assert robot_sign(VECTOR_TS) == VECTOR_SIGN  # the test's own signer agrees with the reference
    response = robot.post(robot_payload("帮助"), timestamp=VECTOR_TS, sign=VECTOR_SIGN)
    assert response.status_code == 200, response.text
    assert "助企机器人" in response.json()["markdown"]["text"]


@pytest.mark.parametrize("skew_ms", [3_600_000, -3_600_000])
def test_exactly_one_hour_off_is_still_accepted(robot, clock, city, skew_ms):
    clock.set(_at_ms(int(VECTOR_TS) + skew_ms))
    assert robot.post(robot_payload("帮助"), timestamp=VECTOR_TS, sign=VECTOR_SIGN).status_code == 200


@pytest.mark.parametrize("skew_ms", [3_600_001, -3_600_001, 86_400_000])
def test_stale_or_future_timestamp_is_refused(robot, clock, session, filed, skew_ms):
    clock.set(_at_ms(int(VECTOR_TS) + skew_ms))
    r = robot.post(robot_payload("签收 ZQ2026-000001"), timestamp=VECTOR_TS, sign=VECTOR_SIGN)
    assert_problem(r, 401, code="invalid_signature")
    _nothing_done(session, filed)


def test_a_signature_replayed_long_after_is_refused(robot, clock, session, filed):
    ts = str(int(clock.now.timestamp() * 1000))
    sign = robot_sign(ts)
    clock.advance(hours=1, seconds=1)
    assert_problem(robot.post(robot_payload("签收 ZQ2026-000001"), timestamp=ts, sign=sign), 401)
    _nothing_done(session, filed)


@pytest.mark.parametrize("sign", [
    "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CB=",  # one character off
    "",
    "not base64 at all",
    robot_sign(VECTOR_TS, "another secret"),
])
def test_wrong_sign_is_refused(robot, clock, session, filed, sign):
    clock.set(_at_ms(int(VECTOR_TS)))
    assert_problem(robot.post(robot_payload("签收 ZQ2026-000001"), timestamp=VECTOR_TS, sign=sign), 401)
    _nothing_done(session, filed)


@pytest.mark.parametrize("drop", ["timestamp", "sign", "both"])
def test_missing_headers_are_refused(client, session, filed, drop):
    headers = {"Content-Type": "application/json", "timestamp": "1772413200000",
               "sign": robot_sign("1772413200000")}
    for name in (["timestamp", "sign"] if drop == "both" else [drop]):
        headers.pop(name)
    r = client.post(ROBOT_URL, content=json.dumps(robot_payload("签收 ZQ2026-000001")).encode(), headers=headers)
    assert_problem(r, 401)
    _nothing_done(session, filed)


@pytest.mark.parametrize("timestamp", ["1772413200000.0", "+1772413200000", "1_772_413_200_000", "abc", "1e12", "-1"])
def test_malformed_timestamps_are_refused(robot, session, filed, timestamp):
    assert_problem(robot.post(robot_payload("签收 ZQ2026-000001"), timestamp=timestamp,
                              sign=robot_sign(timestamp)), 401)
    _nothing_done(session, filed)


def test_unsigned_garbage_is_401_not_422(client, session, filed):
    r = client.post(ROBOT_URL, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(r, 401)
    _nothing_done(session, filed)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe\x00", b"[]", b'"text"', b"null", b"42",
                                 b'{"msgId": 123, "msgtype": "text", "text": {"content": "\\u5e2e\\u52a9"}}',
                                 b'{"msgId": "m", "text": "not an object"}'])
def test_body_that_is_not_a_json_object_is_422(robot, session, filed, raw):
    assert_problem(robot.post(raw), 422, code="validation_error")
    _nothing_done(session, filed)


def test_missing_msg_id_is_422(robot, session, filed):
    body = robot_payload("签收 ZQ2026-000001")
    del body["msgId"]
    assert_problem(robot.post(body), 422, field="msgId")
    _nothing_done(session, filed)


def test_one_megabyte_bodies(robot, session, filed):
    limit = 1_048_576
    over = json.dumps(robot_payload("签收 ZQ2026-000001", filler="x" * limit)).encode()
    assert len(over) > limit
    assert_problem(robot.post(over), 413, code="payload_too_large")
    # Exactly at the limit the body is read, but no robot message has 1 MB of text.
    prefix = "签收 ZQ2026-000001 "
    base = json.dumps(robot_payload(prefix), ensure_ascii=False).encode()
    exact = json.dumps(robot_payload(prefix + "x" * (limit - len(base))), ensure_ascii=False).encode()
    assert len(exact) == limit
    assert_problem(robot.post(exact), 422, field="content")
    _nothing_done(session, filed)


def test_refused_when_the_app_secret_is_not_configured(db, settings, clock, session, filed):
    from fastapi.testclient import TestClient

    from app.main import create_app

    bare = create_app(settings.model_copy(update={"dingtalk_app_secret": SecretStr("")}), engine=db, clock=clock)
    ts = str(int(clock.now.timestamp() * 1000))
    with TestClient(bare, raise_server_exceptions=False) as client:
        # Even a request signed with the empty string must not get through.
        r = client.post(ROBOT_URL, json=robot_payload("签收 ZQ2026-000001"),
                        headers={"timestamp": ts, "sign": robot_sign(ts, "")})
    body = assert_problem(r, 503)
    assert "ZHUQI_DINGTALK_APP_SECRET" in body["detail"]
    _nothing_done(session, filed)


def test_over_quota_callback_is_logged_and_answered_empty(robot, session, filed, caplog):
    before = metrics.value("zhuqi_chatbot_over_quota_total")
    body = {"msgId": "msgQuota1", "errorCode": 20001, "errorMessage": "robot over quota",
            "conversationId": "cidXiXiJieDao==", "senderStaffId": "wangxm01"}
    with caplog.at_level("WARNING", logger="app.chatbot"):
        r = robot.post(body)
    assert r.status_code == 200 and r.json() == {"msgtype": "empty"}
    assert metrics.value("zhuqi_chatbot_over_quota_total") == before + 1
    assert any("20001" in rec.getMessage() for rec in caplog.records)
    r = robot.post({"errorCode": "20001", "errorMessage": "超出额度"})  # string code, no msgId
    assert r.json() == {"msgtype": "empty"}
    _nothing_done(session, filed)
    # The city admins are told once (not once per paused message).
    from sqlmodel import select

    from app.notifications.models import AdminAlert

    session.expire_all()
    alerts = session.exec(select(AdminAlert).where(AdminAlert.kind == "robot_over_quota")).all()
    assert len(alerts) == 1 and "20001" in alerts[0].message


def test_a_forged_session_webhook_is_never_called(robot, filed, monkeypatch):
    import socket

    calls: list[object] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: calls.append(a))
    text = robot.say("签收 ZQ2026-000001", sessionWebhook="http://169.254.169.254/latest/meta-data",
                     sessionWebhookExpiredTime=9_999_999_999_999)
    assert "已签收" in text
    assert calls == []
