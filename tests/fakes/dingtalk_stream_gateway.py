"""A local DingTalk Stream gateway speaking the protocol of the official SDK (docs/dingtalk.md §Stream).

    async with FakeStreamGateway() as gateway:                     # 127.0.0.1, ephemeral ports
        monkeypatch.setattr(DingTalkStreamClient, "OPEN_CONNECTION_API", gateway.open_url)
        ...start the client...
        await gateway.wait_connected()
        mid = await gateway.push_robot_message({...§2.2 body...})
        ack = await gateway.wait_ack(mid)                          # {"code": 200, "headers": ..., "data": "<json>"}

Protocol as enforced here:
1. `POST /v1.0/gateway/connections/open` with JSON {clientId, clientSecret, subscriptions:[{type, topic}], ua,
   localIp}. Wrong credentials → HTTP 400 invalidClientIdOrSecret; no subscriptions → HTTP 400. Otherwise
   {"endpoint": "ws://127.0.0.1:<port>/connect", "ticket": <uuid>}.
2. The websocket handshake must carry `?ticket=` of an unused ticket (single use); otherwise HTTP 401.
3. Server frames: {"specVersion": "1.0", "type": "SYSTEM"|"EVENT"|"CALLBACK", "headers": {"appId",
   "connectionId", "contentType": "application/json", "messageId", "time", "topic"}, "data": "<JSON string>"}.
   CALLBACK frames go only to a connection that subscribed to their topic.
4. The client answers each frame with an ack {"code", "headers": {"messageId", "contentType"}, "message",
   "data": "<JSON string>"}; acks for unknown messageIds, or with data that is not a JSON string, go to
   `errors`. A SYSTEM `ping` ack must echo the frame's data (the opaque value). A frame left without an ack
   can be pushed again with `redeliver()` (the real gateway retries within about a minute).
5. SYSTEM `disconnect` asks the client to reconnect; the gateway closes the socket after `grace_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"


@dataclass
class _Connection:
    id: str
    socket: ServerConnection
    subscriptions: list[dict[str, str]]

    def accepts(self, kind: str, topic: str) -> bool:
        if kind == "SYSTEM":
            return True
        return any(s.get("type") == kind and s.get("topic") in (topic, "*") for s in self.subscriptions)


@dataclass
class FakeStreamGateway:
    client_id: str = "dingfakeappkey"
    client_secret: str = "fake-app-secret"
    app_id: str = "fake-app-id"
    grace_s: float = 0.5
    open_requests: list[dict[str, Any]] = field(default_factory=list)
    connections: list[_Connection] = field(default_factory=list)
    frames: dict[str, dict[str, Any]] = field(default_factory=dict)  # messageId → frame pushed
    acks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tickets: dict[str, list[dict[str, str]]] = {}
        self._http: ThreadingHTTPServer | None = None
        self._ws: Server | None = None
        self._changed = asyncio.Condition()
        self.open_url = self.ws_url = ""

    # ---- life cycle ----------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        self._ws = await serve(self._session, "127.0.0.1", 0, process_request=self._check_ticket)
        ws_port = self._ws.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{ws_port}/connect"
        self._http = self._serve_open()
        http_port = self._http.server_address[1]
        self.open_url = f"http://127.0.0.1:{http_port}/v1.0/gateway/connections/open"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._ws is not None:
            self._ws.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.wait_closed(), 2)

    # ---- step 1: open a connection over HTTP ----------------------------------------------------------
    def _serve_open(self) -> ThreadingHTTPServer:
        """A thread, not the event loop: SDK 0.24.3 calls requests.post on its loop, which would deadlock."""
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, answer = gateway._open("POST", urlsplit(self.path).path, body)
                payload = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status.value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return server

    def _open(self, method: str, path: str, raw: bytes) -> tuple[HTTPStatus, dict[str, Any]]:
        if (method, path) != ("POST", "/v1.0/gateway/connections/open"):
            return HTTPStatus.NOT_FOUND, {"code": "NotFound", "message": path}
        try:
            body = json.loads(raw)
        except ValueError:
            return HTTPStatus.BAD_REQUEST, {"code": "InvalidParameter", "message": "body is not JSON"}
        self.open_requests.append(body)
        if (body.get("clientId"), body.get("clientSecret")) != (self.client_id, self.client_secret):
            return HTTPStatus.BAD_REQUEST, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"}
        subscriptions = body.get("subscriptions")
        if not isinstance(subscriptions, list) or not subscriptions or not all(
                isinstance(s, dict) and s.get("type") in ("EVENT", "CALLBACK") and s.get("topic") for s in subscriptions):
            return HTTPStatus.BAD_REQUEST, {"code": "InvalidParameter", "message": "subscriptions 不合法"}
        ticket = str(uuid.uuid4())
        self._tickets[ticket] = subscriptions
        return HTTPStatus.OK, {"endpoint": self.ws_url, "ticket": ticket}

    # ---- step 2: the websocket --------------------------------------------------------------------------
    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        if ticket not in self._tickets:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
        connection.subscriptions = self._tickets.pop(ticket)  # type: ignore[attr-defined]
        return None

    async def _session(self, socket: ServerConnection) -> None:
        conn = _Connection(uuid.uuid4().hex, socket, socket.subscriptions)  # type: ignore[attr-defined]
        await self._notify(lambda: self.connections.append(conn))
        try:
            async for raw in socket:
                await self._notify(lambda raw=raw: self._record_ack(raw))
        except ConnectionClosed:  # a client dropping its socket is normal here
            return
        finally:
            await self._notify(lambda: self.connections.remove(conn))

    def _record_ack(self, raw: str | bytes) -> None:
        try:
            ack = json.loads(raw)
            message_id = ack["headers"]["messageId"]
            frame = self.frames[message_id]
            data = json.loads(ack["data"]) if isinstance(ack.get("data"), str) else None
        except (ValueError, KeyError, TypeError):
            self.errors.append(f"malformed ack: {raw!r}")
            return
        if not isinstance(ack.get("code"), int) or data is None:
            self.errors.append(f"ack without integer code or JSON-string data: {raw!r}")
        elif frame["headers"]["topic"] == "ping" and data != json.loads(frame["data"]):
            self.errors.append(f"ping ack does not echo the opaque data: {raw!r}")
        self.acks.setdefault(message_id, []).append(ack)

    async def _notify(self, change: Any) -> None:
        async with self._changed:
            change()
            self._changed.notify_all()

    async def _wait(self, predicate: Any, timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # ---- steps 3–5: pushing frames and collecting acks ------------------------------------------------
    async def wait_connected(self, count: int = 1, timeout: float = 10) -> None:
        await self._wait(lambda: len(self.connections) >= count, timeout)

    async def push(self, kind: str, topic: str, data: dict[str, Any], *, message_id: str | None = None) -> str:
        conn = next((c for c in reversed(self.connections) if c.accepts(kind, topic)), None)
        if conn is None:
            raise LookupError(f"no live connection subscribed to {kind} {topic}")
        message_id = message_id or uuid.uuid4().hex
        frame = {"specVersion": "1.0", "type": kind, "data": json.dumps(data, ensure_ascii=False), "headers": {
            "appId": self.app_id, "connectionId": conn.id, "contentType": "application/json",
            "messageId": message_id, "time": str(int(time.time() * 1000)), "topic": topic}}
        self.frames[message_id] = frame
        await conn.socket.send(json.dumps(frame, ensure_ascii=False))
        return message_id

    async def push_robot_message(self, data: dict[str, Any]) -> str:
        return await self.push("CALLBACK", TOPIC_ROBOT, data)

    async def push_card_callback(self, data: dict[str, Any]) -> str:
        return await self.push("CALLBACK", TOPIC_CARD, data)

    async def redeliver(self, message_id: str) -> None:
        frame = self.frames[message_id]
        await self.push(frame["type"], frame["headers"]["topic"], json.loads(frame["data"]), message_id=message_id)

    async def ping(self, timeout: float = 5) -> dict[str, Any]:
        message_id = await self.push("SYSTEM", "ping", {"opaque": uuid.uuid4().hex})
        return await self.wait_ack(message_id, timeout=timeout)

    async def disconnect(self) -> None:
        """Ask the newest connection to go away, as DingTalk does before maintenance, then drop it."""
        conn = self.connections[-1]
        await self.push("SYSTEM", "disconnect", {"reason": "gateway maintenance"})
        with contextlib.suppress(asyncio.TimeoutError):
            await self._wait(lambda: conn not in self.connections, self.grace_s)
        await conn.socket.close()

    async def wait_ack(self, message_id: str, count: int = 1, timeout: float = 5) -> dict[str, Any]:
        await self._wait(lambda: len(self.acks.get(message_id, [])) >= count, timeout)
        return self.acks[message_id][count - 1]

    def response_of(self, ack: dict[str, Any]) -> Any:
        """A CALLBACK ack carries {"response": <handler answer>} as a JSON string in `data`."""
        return json.loads(ack["data"]).get("response")
