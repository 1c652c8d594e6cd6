"""The fake Stream gateway driven by the official `dingtalk-stream` SDK (skipped when it is not installed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.dingtalk.test_fake_stream_gateway import CARD_CLICK, ROBOT_MESSAGE, run
from tests.fakes.dingtalk_stream_gateway import TOPIC_CARD, TOPIC_ROBOT, FakeStreamGateway

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
