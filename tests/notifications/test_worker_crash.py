"""kill -9 of a real worker after the vendor accepted a message but before the row was marked sent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.notifications.conftest import SECRET, file_appeal, make_channel, outbox_rows

ROOT = Path(__file__).resolve().parents[2]
CRASH_TOKEN = "crash-robot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_robot() -> Iterator[tuple[FakeDingTalkRobot, int]]:
    """The fake robot on a real loopback socket, on the real clock (the worker signs with the real time)."""
    fake = FakeDingTalkRobot()
    fake.add_robot(CRASH_TOKEN, secret=SECRET)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield fake, port
    server.should_exit = True
    thread.join(timeout=10)


def _start_worker(settings, log_path: Path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "ZHUQI_DATABASE_URL": settings.database_url,
        "ZHUQI_ENV": "test",
        "ZHUQI_ALLOW_LOOPBACK_WEBHOOKS": "true",
        "ZHUQI_DISPATCH_INTERVAL_SECONDS": "0.1",
        "ZHUQI_DISPATCH_LEASE_SECONDS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_worker_killed_after_vendor_accepted_resends_same_msg_uuid_shown_once(
    client, keys, db, settings, served_robot, tmp_path, clock
):
    from datetime import UTC, datetime

    clock.set(datetime.now(UTC))  # the worker's sweeper runs on the real clock: nothing else may fall due
    fake, port = served_robot
    make_channel(client, keys, url=f"http://127.0.0.1:{port}/robot/send?access_token={CRASH_TOKEN}", keyword=None)
    file_appeal(client, keys)
    [row] = outbox_rows(db)
    log_path = tmp_path / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []

    def kill_first_worker(_token: str, _payload: dict) -> None:
        fake.on_accept = None
        os.kill(workers[0].pid, signal.SIGKILL)  # the reply never reaches it: no ack is written

    fake.on_accept = kill_first_worker
    try:
        workers.append(_start_worker(settings, log_path))
        assert workers[0].wait(timeout=60) == -signal.SIGKILL, log_path.read_text()
        [after_crash] = outbox_rows(db)
        assert after_crash.status == "pending" and after_crash.attempts == 1  # sent, but not known to be
        assert [m["msgUuid"] for m in fake.accepted[CRASH_TOKEN]] == [row.id]

        workers.append(_start_worker(settings, log_path))
        _wait(lambda: outbox_rows(db)[0].status == "sent", 60, "the restarted worker to deliver")
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    [sent] = outbox_rows(db)
    assert sent.attempts == 2
    requests = [u for _, token, code, u in fake.log if token == CRASH_TOKEN]
    assert requests == [row.id, row.id]  # delivered again, with the same msgUuid…
    assert [m["msgUuid"] for m in fake.accepted[CRASH_TOKEN]] == [row.id]  # …and the group shows it once
    assert fake.rejected == []
