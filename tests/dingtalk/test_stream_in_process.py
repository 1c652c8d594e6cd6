"""`zhuqi serve` with its in-process worker (ZHUQI_RUN_WORKERS_IN_PROCESS, the demo, a single intranet box) holds
DingTalk's Stream connection in Stream mode like `zhuqi worker`: the app's lifespan starts it, a robot message from
the fake gateway is answered through the chatbot, /readyz reports the connection, and shutting the app down
closes it (state `stopped`)."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from app.db import session_for
from app.dingtalk.models import DingTalkStreamState
from tests.dingtalk.streaming import a_stranger_asks_for_help
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _unconfigure_after():  # type: ignore[no-untyped-def]
    yield
    from app.config import Settings
    from app.dingtalk import handlers, setup

    handlers.configure(Settings())
    setup.install(Settings())  # drops the Stream readiness check again


def stream_state(db) -> str | None:  # type: ignore[no-untyped-def]
    with session_for(db) as session:
        return session.exec(select(DingTalkStreamState.state)).first()


def test_serve_with_in_process_workers_holds_the_stream_connection(db, clock, tmp_path, database_url):
    from app.main import create_app
    from tests.conftest import make_settings

    async def scenario(gateway: FakeStreamGateway) -> None:
        settings = make_settings(database_url, tmp_path / "attachments", run_workers_in_process=True,
                                 dingtalk_mode="stream", dingtalk_app_key="dingfakeappkey",
                                 dingtalk_app_secret=SecretStr("fake-app-secret"),
                                 dingtalk_stream_heartbeat_seconds=0.2,
                                 dingtalk_api_base=gateway.open_url.removesuffix("/v1.0/gateway/connections/open"))
        client = TestClient(create_app(settings, engine=db, clock=clock), raise_server_exceptions=False)
        await asyncio.to_thread(client.__enter__)  # the lifespan: the in-process worker, and its Stream client
        try:
            await gateway.wait_connected(timeout=30)
            await a_stranger_asks_for_help(gateway, "msgP1")
            check: dict[str, object] = {}
            deadline = time.monotonic() + 30
            while check.get("status") != "connected" and time.monotonic() < deadline:
                ready = await asyncio.to_thread(client.get, "/readyz")
                check = ready.json()["checks"].get("dingtalk_stream", {})
                await asyncio.sleep(0.1)
            assert check["status"] == "connected" and check["connects"] == 1, check
        finally:
            await asyncio.to_thread(client.__exit__, None, None, None)  # the lifespan ends: the worker stops
        deadline = time.monotonic() + 30
        while (gateway.connections or stream_state(db) != "stopped") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert gateway.connections == [] and stream_state(db) == "stopped"
        assert not gateway.errors

    async def go() -> None:
        async with FakeStreamGateway() as gateway:
            await asyncio.wait_for(scenario(gateway), 90)

    asyncio.run(go())
