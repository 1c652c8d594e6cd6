"""DingTalk Stream mode inside `zhuqi worker` (ZHUQI_DINGTALK_MODE=stream): the official `dingtalk-stream` SDK
holds the websocket, so robot messages and card clicks need no public callback URL (government intranets).

The SDK (0.24.3) owns the socket, the frames, the acks, the ping answers and the reconnect loop (a `disconnect`
frame or a dropped socket opens a new connection with a new ticket). We give it:
- `open_connection` with a timeout (the SDK's own calls `requests.post` without one, on its event loop);
- one handler per topic that runs app.dingtalk.inbound.frame — the HTTP mode's handlers — in a thread, so the
  database work never blocks the socket's loop;
- its own thread and event loop, and a heartbeat row (`dingtalk_stream_state`) that /readyz reads in any
  process. `stop()` cancels the SDK's loop (0.24.3 has no stop; it swallows one cancel, so we repeat it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import dingtalk_stream
import httpx
from sqlalchemy.engine import Engine
from websockets.protocol import State

from app.config import Settings
from app.db import session_for
from app.deps import system_clock
from app.dingtalk import inbound
from app.dingtalk.models import DingTalkStreamState
from app.notifications.dispatcher import default_owner

log = logging.getLogger("app.dingtalk.stream")
STATE_NAME = "default"
OPEN_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class _Client(dingtalk_stream.DingTalkStreamClient):  # type: ignore[misc]
    def __init__(self, runner: StreamRunner, credential: Any) -> None:
        super().__init__(credential, logger=logging.getLogger("app.dingtalk.stream.sdk"))
        self.runner = runner

    def open_connection(self) -> dict[str, Any] | None:
        """Step 1 of the protocol (docs/dingtalk.md §6), with a timeout; None makes the SDK retry later."""
        topics = [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map]
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                "subscriptions": topics, "ua": "zhuqi/dingtalk-stream-0.24", "localIp": ""}
        try:
            answer = self.runner.http.post(self.runner.open_url, json=body, timeout=OPEN_TIMEOUT)
            answer.raise_for_status()
            opened = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.runner.note(error=f"open connection failed: {type(exc).__name__} {exc}"[:500])
            return None
        self.runner.connects += 1
        return opened if isinstance(opened, dict) else None


class _Handler(dingtalk_stream.CallbackHandler):  # type: ignore[misc]
    def __init__(self, runner: StreamRunner, topic: str) -> None:
        super().__init__()
        self.runner, self.topic = runner, topic

    async def process(self, message: Any) -> tuple[int, Any]:
        data = message.data if isinstance(message.data, dict) else {}
        try:
            answer = await asyncio.to_thread(self.runner.handle, self.topic, message.headers.message_id or "", data)
        except Exception:  # never let a handler bug kill the socket: answer and log; the gateway will not retry
            log.exception("Stream %s frame failed", self.topic)
            answer = inbound.EMPTY
        return dingtalk_stream.AckMessage.STATUS_OK, answer


class StreamRunner:
    def __init__(self, engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = system_clock,
                 open_url: str | None = None, webhook_http: httpx.Client | None = None) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        self.http = httpx.Client(follow_redirects=False)
        self.open_url = open_url or f"{settings.dingtalk_api_base.rstrip('/')}/v1.0/gateway/connections/open"
        self.reply = inbound.session_webhook_poster(webhook_http or self.http, settings.dingtalk_oapi_base)
        self.owner = default_owner()
        self.connects = 0
        self.client: _Client | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: str | None = None

    # ---- the handlers' entry (a worker thread of the loop) -------------------------------------------------
    def handle(self, topic: str, message_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return inbound.frame(self.engine, topic, message_id, data, now=self.clock(), reply=self.reply)

    # ---- life cycle ------------------------------------------------------------------------------------------
    def start(self) -> StreamRunner:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="zhuqi-dingtalk-stream",
                                        daemon=True)
        self._thread.start()
        log.info("DingTalk Stream mode: connecting to %s", self.open_url)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._write("stopped")

    @property
    def connected(self) -> bool:
        socket = self.client.websocket if self.client is not None else None
        return socket is not None and getattr(socket, "state", None) is State.OPEN

    def note(self, *, error: str) -> None:
        self._error = error
        log.warning("DingTalk Stream: %s", error)

    async def _main(self) -> None:
        credential = dingtalk_stream.Credential(self.settings.dingtalk_app_key,
                                                self.settings.dingtalk_app_secret.get_secret_value())
        self.client = _Client(self, credential)
        for topic in (inbound.TOPIC_ROBOT, inbound.TOPIC_CARD):
            self.client.register_callback_handler(topic, _Handler(self, topic))
        sdk = asyncio.create_task(self.client.start())
        interval = self.settings.dingtalk_stream_heartbeat_seconds
        waited = interval
        while not self._stop.is_set():
            if waited >= interval:
                waited = 0.0
                await asyncio.to_thread(self._write, "connected" if self.connected else "disconnected")
            await asyncio.sleep(0.05)
            waited += 0.05
        for _ in range(200):  # 0.24.3 catches one CancelledError and sleeps: cancel until it really ends
            if sdk.done():
                break
            sdk.cancel()
            await asyncio.sleep(0.01)
        with contextlib.suppress(BaseException):
            await sdk
        if self.client.websocket is not None:
            with contextlib.suppress(Exception):
                await self.client.websocket.close()

    def _write(self, state: str) -> None:
        now = self.clock()
        try:
            with session_for(self.engine) as session:
                row = session.get(DingTalkStreamState, STATE_NAME)
                if row is None:
                    row = DingTalkStreamState(name=STATE_NAME, state=state, owner=self.owner, heartbeat_at=now)
                was = row.state
                row.state, row.owner, row.heartbeat_at, row.connects = state, self.owner, now, self.connects
                if state == "connected" and was != "connected":
                    row.connected_at = now
                row.last_error = self._error
                session.add(row)
                session.commit()
        except Exception:  # the database blinking must not stop the connection
            log.exception("could not record the Stream connection's state")


def readiness(session: Any, now: datetime, *, heartbeat_seconds: float) -> dict[str, Any]:
    """/readyz `checks.dingtalk_stream`: the worker's last heartbeat (informative; readiness is the API's)."""
    row = session.get(DingTalkStreamState, STATE_NAME)
    if row is None:
        return {"status": "not_started"}
    age = (now - row.heartbeat_at).total_seconds()
    stale = age > 3 * heartbeat_seconds + 5
    return {"status": "stale" if stale else row.state, "heartbeat_age_seconds": round(max(age, 0.0), 1),
            "connects": row.connects, "connected_at": row.connected_at.isoformat() if row.connected_at else None,
            "last_error": row.last_error}
