"""Stream mode: the worker's Stream client (the official SDK) takes a robot message and card clicks from the fake
gateway, answers them through the HTTP mode's handlers, de-duplicates a redelivery, reconnects after a
`disconnect`, and /readyz reports the connection."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.db import session_for
from app.dingtalk import handlers
from app.dingtalk.stream import StreamRunner
from tests.dingtalk.streaming import run_against_gateway, run_with_stream_client
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway
from tests.helpers import appeal_body

pytestmark = pytest.mark.db
WEBHOOK = "https://oapi.dingtalk.com/robot/sendBySession?session=xixi"


@pytest.fixture
def settings(database_url, tmp_path):  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    return make_settings(database_url, tmp_path / "attachments", dingtalk_mode="stream",
                         dingtalk_app_key="dingfakeappkey", dingtalk_app_secret=SecretStr("fake-app-secret"),
                         dingtalk_stream_heartbeat_seconds=0.2)


@pytest.fixture(autouse=True)
def _unconfigure_after():  # type: ignore[no-untyped-def]
    yield
    from app.config import Settings
    from app.dingtalk import setup

    handlers.configure(Settings())
    setup.install(Settings())  # drops the Stream readiness check again


def robot(content: str, msg_id: str, sender: str = "wangxm01") -> dict[str, Any]:
    return {"conversationId": "cidXiXi==", "conversationType": "2", "msgId": msg_id, "senderStaffId": sender,
            "senderNick": "王晓明", "robotCode": "dingfakeappkey", "msgtype": "text", "isInAtList": True,
            "text": {"content": f" {content}"}, "createAt": 1772413200000, "sessionWebhook": WEBHOOK,
            "sessionWebhookExpiredTime": 1772418600000}


def click(userid: str, appeal_id: int) -> dict[str, Any]:
    return {"type": "actionCallback", "outTrackId": f"zhuqi-{appeal_id}-1", "corpId": "dingfakecorp",
            "userId": userid, "content": json.dumps({"cardPrivateData": {
                "actionIds": ["sign"], "params": {"action": "sign", "appeal_id": str(appeal_id)}}})}


def count(db, query) -> Any:  # type: ignore[no-untyped-def]
    with session_for(db) as session:
        return session.exec(query).one()


def test_the_stream_client_answers_robot_messages_and_card_clicks_through_the_same_handlers(
        client, keys, clock, db, settings):
    filed = [client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json() for _ in range(2)]
    replies: list[tuple[str, dict[str, Any]]] = []

    def session_webhook(request: httpx.Request) -> httpx.Response:
        replies.append((str(request.url), json.loads(request.content)))
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    async def scenario(gateway: FakeStreamGateway, runner: StreamRunner) -> None:
        # a robot @-message: the chatbot signs as the DingTalk user, the reply goes to the session webhook
        mid = await gateway.push_robot_message(robot(f"签收 {filed[0]['number']}", "msgS1"))
        answer = gateway.response_of(await gateway.wait_ack(mid, timeout=10))
        assert answer["msgtype"] == "markdown" and filed[0]["number"] in answer["markdown"]["text"]
        assert replies == [(WEBHOOK, answer)]
        await gateway.redeliver(mid)  # no ack seen by the gateway: the same frame again
        assert gateway.response_of(await gateway.wait_ack(mid, count=2, timeout=10)) == answer
        # card clicks: another street's liaison is refused privately; the street's own liaison signs
        refused = gateway.response_of(await gateway.wait_ack(
            await gateway.push_card_callback(click("lina02", filed[1]["id"])), timeout=10))
        assert "cardData" not in refused and "不属于您的单位" in refused["userPrivateData"]["cardParamMap"]["message"]
        signed = gateway.response_of(await gateway.wait_ack(
            await gateway.push_card_callback(click("wangxm01", filed[1]["id"])), timeout=10))
        assert signed["cardData"]["cardParamMap"]["status"] == "办理中"
        # /readyz in the API process reads the worker's heartbeat
        await asyncio.sleep(0.5)
        ready = await asyncio.to_thread(client.get, "/readyz")
        assert ready.json()["checks"]["dingtalk_stream"]["status"] == "connected", ready.text
        # DingTalk asks us to go away: the SDK opens a new connection and frames flow again
        await gateway.disconnect()
        deadline = time.monotonic() + 15
        while not (gateway.connections and len(gateway.open_requests) == 2) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await gateway.wait_connected()
        again = gateway.response_of(await gateway.wait_ack(
            await gateway.push_robot_message(robot("帮助", "msgS2")), timeout=10))
        assert again["msgtype"] == "markdown" and runner.connects == 2
        assert not gateway.errors

    run_with_stream_client(db, settings, clock, scenario,
                           webhook_http=httpx.Client(transport=httpx.MockTransport(session_webhook)))
    assert count(db, select(func.count()).select_from(AppealEvent).where(AppealEvent.type == "signed")) == 2
    assert count(db, select(func.count()).select_from(Appeal).where(Appeal.status == "in_progress")) == 2
    assert len([r for r in replies if r[0] == WEBHOOK]) == 2  # the redelivery was answered from the store


def test_readyz_reports_a_refused_connection_and_a_silent_holder(client, clock, db, settings):
    """/readyz `checks.dingtalk_stream` from the holder's heartbeat row: DingTalk refusing our credentials reads
    `disconnected` with the reason; a holder that stopped writing reads `stale` three heartbeats (+5 s) later."""
    refused = settings.model_copy(update={"dingtalk_app_secret": SecretStr("not-the-secret")})

    def stream_check() -> dict[str, Any]:
        return client.get("/readyz").json()["checks"]["dingtalk_stream"]

    assert stream_check() == {"status": "not_started"}

    async def scenario(gateway: FakeStreamGateway) -> None:
        runner = StreamRunner(db, refused, clock=clock, open_url=gateway.open_url).start()
        try:
            check: dict[str, Any] = {}
            deadline = time.monotonic() + 15
            while not check.get("last_error") and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                check = await asyncio.to_thread(stream_check)
            assert check["status"] == "disconnected" and "open connection failed" in check["last_error"], check
            assert gateway.connections == [] and check["connects"] == 0
        finally:
            await asyncio.to_thread(runner.stop)

    run_against_gateway(scenario, timeout=30)
    assert stream_check()["status"] == "stopped"
    clock.advance(seconds=3 * settings.dingtalk_stream_heartbeat_seconds + 6)
    assert stream_check()["status"] == "stale"
