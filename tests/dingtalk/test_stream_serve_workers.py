"""`zhuqi serve --workers 2` in Stream mode, as real processes: the server has one background worker — in the
supervisor, not one per server process — so DingTalk sees exactly one Stream connection. Both server processes
are proven up (each has counted requests into the metrics directory) before the gateway's count is read; a robot
message is answered, /readyz (from whichever process answers) reports the connection, and SIGTERM closes it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.crash.conftest import free_port
from tests.dingtalk.streaming import a_stranger_asks_for_help, kill_if_running, run_against_gateway, stream_state
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def both_server_processes_answer(base: str, metrics_dir: Path, deadline: float) -> None:
    """New connections until two processes have counted a request (the kernel spreads them over both)."""
    while len(list(metrics_dir.glob("counter_*.db"))) < 2:
        assert time.monotonic() < deadline, "the second server process never answered"
        try:
            httpx.get(base + "/healthz", timeout=2)
        except httpx.HTTPError:
            time.sleep(0.3)


def test_serve_with_two_processes_holds_one_stream_connection(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'zhuqi.db'}"
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUQI_")}
    env.update(PYTHONPATH=str(REPO), PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), ZHUQI_DATABASE_URL=db,
               ZHUQI_ENV="test", ZHUQI_ATTACHMENTS_DIR=str(tmp_path / "att"), ZHUQI_DINGTALK_MODE="stream",
               ZHUQI_DINGTALK_APP_KEY="dingfakeappkey", ZHUQI_DINGTALK_APP_SECRET="fake-app-secret",
               ZHUQI_DINGTALK_STREAM_HEARTBEAT_SECONDS="0.5")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"

    async def scenario(gateway: FakeStreamGateway) -> None:
        env["ZHUQI_DINGTALK_API_BASE"] = gateway.open_url.removesuffix("/v1.0/gateway/connections/open")
        server = await asyncio.to_thread(start_server, env, port, log)
        try:
            await asyncio.to_thread(both_server_processes_answer, base, metrics_dir, time.monotonic() + 90)
            await gateway.wait_connected(timeout=60)
            await a_stranger_asks_for_help(gateway, "msgS1")
            check: dict[str, object] = {}
            deadline = time.monotonic() + 30
            while check.get("status") != "connected" and time.monotonic() < deadline:
                ready = await asyncio.to_thread(httpx.get, base + "/readyz", timeout=10)
                check = ready.json()["checks"].get("dingtalk_stream", {})
                await asyncio.sleep(0.2)
            assert check["status"] == "connected", check
            # Two server processes up and serving, one Stream connection ever opened.
            assert len(gateway.open_requests) == 1 and len(gateway.connections) == 1, gateway.open_requests
            server.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(server.wait, 60) == 0
            deadline = time.monotonic() + 10
            while gateway.connections and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert gateway.connections == [] and stream_state(db) == "stopped"
            assert not gateway.errors
        finally:
            kill_if_running(server)

    run_against_gateway(scenario, timeout=180, log=log)
