"""Shared steps of the Stream tests that run a whole worker (a real `zhuqi worker`, or `zhuqi serve`'s in-process one)."""

from __future__ import annotations

from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway


async def a_stranger_asks_for_help(gateway: FakeStreamGateway, msg_id: str, *, timeout: float = 30) -> None:
    """A robot @-message "帮助" from a DingTalk user we do not know: answered through the chatbot over Stream."""
    message = {"msgId": msg_id, "msgtype": "text", "text": {"content": " 帮助"}, "senderStaffId": "nobody",
               "senderNick": "访客", "conversationType": "2", "conversationId": "cidX=="}
    answer = gateway.response_of(await gateway.wait_ack(await gateway.push_robot_message(message), timeout=timeout))
    assert answer["msgtype"] == "markdown" and "未登记" in answer["markdown"]["text"], answer
