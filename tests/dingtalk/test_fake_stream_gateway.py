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

from tests.fakes.dingtalk_stream_gateway import TOPIC_ROBOT, FakeStreamGateway

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
