"""Shared steps of the Stream tests that run a whole worker (a real `zhuqi worker`, or `zhuqi serve`'s in-process one)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.dingtalk.stream import StreamRunner
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway


async def a_stranger_asks_for_help(gateway: FakeStreamGateway, msg_id: str, *, timeout: float = 30) -> None:
    """A robot @-message "帮助" from a DingTalk user we do not know: answered through the chatbot over Stream."""
    message = {"msgId": msg_id, "msgtype": "text", "text": {"content": " 帮助"}, "senderStaffId": "nobody",
               "senderNick": "访客", "conversationType": "2", "conversationId": "cidX=="}
    answer = gateway.response_of(await gateway.wait_ack(await gateway.push_robot_message(message), timeout=timeout))
    assert answer["msgtype"] == "markdown" and "未登记" in answer["markdown"]["text"], answer


def run_against_gateway(scenario: Callable[[FakeStreamGateway], Awaitable[None]], *, timeout: float,
                        log: Path | None = None) -> None:
    """`scenario` against a fresh fake gateway, bounded by `timeout`; on failure the tail of the process's log."""

    async def go() -> None:
        async with FakeStreamGateway() as gateway:
            await asyncio.wait_for(scenario(gateway), timeout)

    try:
        asyncio.run(go())
    except BaseException:
        if log is not None:
            print(log.read_text(errors="replace")[-4000:])
        raise


def run_with_stream_client(engine: Any, settings: Any, clock: Any,
                           scenario: Callable[[FakeStreamGateway, StreamRunner], Awaitable[None]], *,
                           timeout: float = 60, **runner_options: Any) -> None:
    """`scenario(gateway, runner)` once our Stream client (app.dingtalk.stream) is connected to a fresh fake
    gateway, in this process; the client is stopped afterwards, whatever happened."""

    async def connected(gateway: FakeStreamGateway) -> None:
        runner = StreamRunner(engine, settings, clock=clock, open_url=gateway.open_url, **runner_options).start()
        try:
            await gateway.wait_connected()
            await scenario(gateway, runner)
        finally:
            await asyncio.to_thread(runner.stop)

    run_against_gateway(connected, timeout=timeout)


def stream_state(database_url: str) -> str | None:
    """What the Stream holder last wrote in `dingtalk_stream_state` (what /readyz reads)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT state FROM dingtalk_stream_state")).scalar()
    finally:
        engine.dispose()


def kill_if_running(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)
