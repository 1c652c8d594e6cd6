"""The fake Stream gateway's protocol rules, proven with a raw websocket client and with the official SDK."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.fakes.dingtalk_stream_gateway import TOPIC_CARD, TOPIC_ROBOT, FakeStreamGateway

ROBOT_MESSAGE = {
    "conversationId": "cid6KeBBLoveMJOGXoYKF5x7EeiodoA==", "conversationType": "2", "msgId": "msg0001",
    "senderStaffId": "xixi01", "senderNick": "王晓明", "robotCode": "dingfakeappkey", "msgtype": "text",
    "text": {"content": " 签收 20260801-001"}, "createAt": 1780000000000, "isInAtList": True,
    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=x", "sessionWebhookExpiredTime": 1780005400000,
}
CARD_CLICK = {"type": "actionCallback", "outTrackId": "appeal-1-v1", "corpId": "dingfakecorp", "userId": "xixi01",
              "content": json.dumps({"cardPrivateData": {"actionIds": ["sign"], "params": {"action": "sign"}}})}
SUBSCRIBE_ROBOT = [{"type": "CALLBACK", "topic": TOPIC_ROBOT}]


def run(test: Callable[[FakeStreamGateway], Awaitable[None]]) -> None:
    async def go() -> None:
        async with FakeStreamGateway() as gateway:
            await asyncio.wait_for(test(gateway), 20)
    asyncio.run(go())


async def open_connection(gateway: FakeStreamGateway, **over: Any) -> httpx.Response:
    body = {"clientId": "dingfakeappkey", "clientSecret": "fake-app-secret", "subscriptions": SUBSCRIBE_ROBOT,
            "ua": "test", "localIp": "127.0.0.1"} | over
    async with httpx.AsyncClient() as client:
        return await client.post(gateway.open_url, json=body)


@contextlib.asynccontextmanager
async def subscribed_socket(gateway: FakeStreamGateway) -> AsyncIterator[ClientConnection]:
    opened = (await open_connection(gateway)).json()
    async with connect(f"{opened['endpoint']}?ticket={opened['ticket']}") as ws:
        await gateway.wait_connected()
        yield ws


# ---- raw protocol ---------------------------------------------------------------------------------------
def test_open_refuses_bad_credentials_and_empty_subscriptions() -> None:
    async def test(gateway: FakeStreamGateway) -> None:
        assert (await open_connection(gateway, clientSecret="wrong")).status_code == 400
        assert (await open_connection(gateway, subscriptions=[])).status_code == 400
        good = await open_connection(gateway)
        assert good.status_code == 200 and good.json()["endpoint"] == gateway.ws_url and good.json()["ticket"]
    run(test)


def test_a_ticket_opens_one_websocket_only() -> None:
    async def test(gateway: FakeStreamGateway) -> None:
        opened = (await open_connection(gateway)).json()
        url = f"{opened['endpoint']}?ticket={opened['ticket']}"
        async with connect(url):
            await gateway.wait_connected()
            with pytest.raises(InvalidStatus):
                async with connect(url):
                    pass
        with pytest.raises(InvalidStatus):
            async with connect(f"{gateway.ws_url}?ticket=made-up"):
                pass
    run(test)


def test_callbacks_reach_only_subscribed_topics_and_acks_are_checked() -> None:
    async def test(gateway: FakeStreamGateway) -> None:
        async with subscribed_socket(gateway) as ws:
            with pytest.raises(LookupError):
                await gateway.push_card_callback(CARD_CLICK)  # subscribed to robot messages only
            message_id = await gateway.push_robot_message(ROBOT_MESSAGE)
            frame = json.loads(await ws.recv())
            assert frame["type"] == "CALLBACK" and frame["headers"]["topic"] == TOPIC_ROBOT
            assert frame["headers"]["messageId"] == message_id and json.loads(frame["data"]) == ROBOT_MESSAGE
            await ws.send(json.dumps({"code": 200, "headers": {"messageId": message_id}, "data": {"not": "a string"}}))
            await ws.send(json.dumps({"code": 200, "headers": {"messageId": "unknown"}, "data": "{}"}))
            await ws.send(json.dumps({"code": 200, "headers": {"messageId": message_id, "contentType": "application/json"},
                                      "message": "OK", "data": json.dumps({"response": {"msgtype": "empty"}})}))
            ack = await gateway.wait_ack(message_id, count=2)
            assert gateway.response_of(ack) == {"msgtype": "empty"}
            assert len(gateway.errors) == 2
    run(test)


def test_a_ping_ack_must_echo_the_opaque_data() -> None:
    async def test(gateway: FakeStreamGateway) -> None:
        async with subscribed_socket(gateway) as ws:
            waiter = asyncio.create_task(gateway.ping())
            frame = json.loads(await ws.recv())
            assert (frame["type"], frame["headers"]["topic"]) == ("SYSTEM", "ping")
            await ws.send(json.dumps({"code": 200, "headers": frame["headers"], "message": "OK", "data": "{}"}))
            await waiter
            assert gateway.errors and "echo" in gateway.errors[0]
    run(test)


# ---- the official SDK against the fake --------------------------------------------------------------------
dingtalk_stream = pytest.importorskip("dingtalk_stream")


class Recorder(dingtalk_stream.CallbackHandler):  # type: ignore[misc, name-defined]
    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer, self.seen, self.message_ids = answer, [], []

    async def process(self, callback: Any) -> tuple[int, Any]:
        self.seen.append(callback.data)
        self.message_ids.append(callback.headers.message_id)
        return dingtalk_stream.AckMessage.STATUS_OK, self.answer


async def stop(client: Any, runner: asyncio.Task[None]) -> None:
    """0.24.4 has stop(); 0.24.3 catches one CancelledError (and sleeps), so cancel until it ends."""
    if hasattr(client, "stop"):
        await client.stop()
    for _ in range(100):
        if runner.done():
            break
        runner.cancel()
        await asyncio.sleep(0.01)
    await asyncio.gather(runner, return_exceptions=True)


def sdk_run(test: Callable[[FakeStreamGateway, Any, dict[str, Recorder]], Awaitable[None]],
            monkeypatch: pytest.MonkeyPatch) -> None:
    async def go(gateway: FakeStreamGateway) -> None:
        monkeypatch.setattr(dingtalk_stream.DingTalkStreamClient, "OPEN_CONNECTION_API", gateway.open_url)
        client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential("dingfakeappkey", "fake-app-secret"))
        client.RECONNECT_BASE_DELAY_SECONDS = client.RECONNECT_JITTER_SECONDS = 0.01  # fast reconnects in tests
        handlers = {TOPIC_ROBOT: Recorder({"msgtype": "empty"}), TOPIC_CARD: Recorder(
            {"cardUpdateOptions": {"updateCardDataByKey": True}, "cardData": {"cardParamMap": {"status": "已签收"}}})}
        for topic, handler in handlers.items():
            client.register_callback_handler(topic, handler)
        runner = asyncio.create_task(client.start())
        try:
            await gateway.wait_connected()
            await test(gateway, client, handlers)
        finally:
            await stop(client, runner)
    run(go)


def test_the_sdk_subscribes_receives_a_robot_message_and_a_card_click_and_acks_both(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def test(gateway: FakeStreamGateway, client: Any, handlers: dict[str, Recorder]) -> None:
        topics = {s["topic"] for s in gateway.open_requests[0]["subscriptions"]}
        assert topics == {TOPIC_ROBOT, TOPIC_CARD}
        robot = await gateway.wait_ack(await gateway.push_robot_message(ROBOT_MESSAGE))
        card = await gateway.wait_ack(await gateway.push_card_callback(CARD_CLICK))
        assert handlers[TOPIC_ROBOT].seen == [ROBOT_MESSAGE] and handlers[TOPIC_CARD].seen == [CARD_CLICK]
        assert robot["code"] == card["code"] == 200
        assert gateway.response_of(robot) == {"msgtype": "empty"}
        assert gateway.response_of(card)["cardData"] == {"cardParamMap": {"status": "已签收"}}
        parsed = dingtalk_stream.ChatbotMessage.from_dict(handlers[TOPIC_ROBOT].seen[0])
        assert (parsed.sender_staff_id, parsed.text.content.strip()) == ("xixi01", "签收 20260801-001")
        assert not gateway.errors
    sdk_run(test, monkeypatch)


def test_a_redelivered_frame_keeps_its_message_id_and_is_acked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    async def test(gateway: FakeStreamGateway, client: Any, handlers: dict[str, Recorder]) -> None:
        message_id = await gateway.push_robot_message(ROBOT_MESSAGE)
        await gateway.wait_ack(message_id)
        await gateway.redeliver(message_id)
        await gateway.wait_ack(message_id, count=2)
        # SDK 0.24.3 hands a redelivery to the handler again (0.24.4b1 answers it from a 5-minute cache), so
        # handlers must de-duplicate on messageId / msgId themselves; either way the id is the same.
        robot = handlers[TOPIC_ROBOT]
        assert robot.message_ids and set(robot.message_ids) == {message_id} and robot.seen[-1] == ROBOT_MESSAGE
    sdk_run(test, monkeypatch)


def test_the_sdk_answers_ping_and_reconnects_after_disconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    async def test(gateway: FakeStreamGateway, client: Any, handlers: dict[str, Recorder]) -> None:
        assert (await gateway.ping())["code"] == 200
        await gateway.disconnect()
        await gateway.wait_connected()
        assert len(gateway.open_requests) == 2  # a fresh ticket for the new socket
        await gateway.wait_ack(await gateway.push_robot_message(ROBOT_MESSAGE))
        assert len(handlers[TOPIC_ROBOT].seen) == 1 and not gateway.errors
    sdk_run(test, monkeypatch)
