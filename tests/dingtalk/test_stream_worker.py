"""`zhuqi worker` as a real process in Stream mode: it opens the Stream connection to the fake gateway, answers a
robot message through the chatbot, records its heartbeat for /readyz, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dingtalk.streaming import a_stranger_asks_for_help, kill_if_running, run_against_gateway, stream_state
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def test_zhuqi_worker_holds_the_stream_connection(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'zhuqi.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ZHUQI_DATABASE_URL": db, "ZHUQI_ENV": "test",
           "ZHUQI_DINGTALK_MODE": "stream", "ZHUQI_DINGTALK_APP_KEY": "dingfakeappkey",
           "ZHUQI_DINGTALK_APP_SECRET": "fake-app-secret", "ZHUQI_DINGTALK_STREAM_HEARTBEAT_SECONDS": "0.5"}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=120)
    log = tmp_path / "worker.log"

    async def scenario(gateway: FakeStreamGateway) -> None:
        env["ZHUQI_DINGTALK_API_BASE"] = gateway.open_url.removesuffix("/v1.0/gateway/connections/open")
        worker = await asyncio.to_thread(start_worker, env, log)
        try:
            await gateway.wait_connected(timeout=60)
            await a_stranger_asks_for_help(gateway, "msgW1")
            deadline = time.monotonic() + 30
            state = None
            while time.monotonic() < deadline and state != "connected":
                await asyncio.sleep(0.2)
                state = stream_state(db)
            assert state == "connected"
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(worker.wait, 30) == 0
            assert stream_state(db) == "stopped"
        finally:
            kill_if_running(worker)

    run_against_gateway(scenario, timeout=120, log=log)
