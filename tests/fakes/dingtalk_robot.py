"""A faithful fake of the DingTalk custom group robot webhook (chat-protocols.md §1.3–§1.6).

Usage — the same `fake.app` (a Starlette ASGI app) three ways:

    fake = FakeDingTalkRobot(clock=lambda: now[0])      # injectable clock: advance time, no sleep
    fake.add_robot("tok", secret="SEC...", keywords=["助企"])

    # sync code: httpx.ASGITransport is async-only, so SyncASGITransport runs it per request
    with httpx.Client(transport=fake.transport(), base_url="https://oapi.dingtalk.com") as client: ...
    # async code:
    httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app), base_url="https://oapi.dingtalk.com")
    # real sockets: uvicorn.run(fake.app, host="127.0.0.1", port=...) with allow_loopback=True

Behaviour (every reply is HTTP 200 JSON, like the real service), checked in this order:
  1. unknown access_token → 300001 "token is not exist" (`unknown_token_errcode` may be 400101);
  2. robot inside a rate block → 410100 for every request until the block ends;
  3. signed robot: missing/non-integer/over-1h timestamp → 310000 invalid timestamp;
     sign mismatch (compare_digest on the URL-decoded value) → 310000 sign not match;
  4. rate: a sliding 60 s window per robot. Every request that got this far counts — including
     later content errors and duplicate msgUuids — because a sender must budget attempts, not
     successes; the stricter fake catches more sender bugs. The (per_minute+1)-th request within
     60 s → 410100 and a block of exactly `block_seconds` (counted once in blocks_triggered);
  5. Content-Type not application/json → 43004; body > max_body bytes → 460101;
     not a JSON object → 40035; unknown msgtype → 400105; msgtype section missing → 40035;
  6. keywords configured and none in the textual fields → 310000 keywords not in content;
  7. msgUuid already accepted for this robot → ok, not stored again;
  8. otherwise → ok, payload appended to accepted[token].
The signature is computed here independently of app.notifications.signing on purpose, so a bug
there cannot be mirrored by the fake.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MSGTYPES = frozenset({"text", "link", "markdown", "actionCard", "feedCard"})
WINDOW_S = 60.0
MAX_SKEW_MS = 3_600_000


@dataclass
class _Robot:
    secret: str | None
    keywords: tuple[str, ...]
    window: deque[float] = field(default_factory=deque)
    blocked_until: float = float("-inf")
    seen_uuids: set[str] = field(default_factory=set)


class SyncASGITransport(httpx.BaseTransport):
    """Drive an ASGI app from a sync httpx.Client (one short event loop per request).

    Chosen over starlette's TestClient, which warns that its httpx use is deprecated. Do not use
    from inside a running event loop (asyncio.run refuses); use httpx.ASGITransport there.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def run() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(run())


def _msg_uuid(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    uuid = data.get("msgUuid") if isinstance(data, dict) else None
    return uuid if isinstance(uuid, str) else None


def max_in_window(times: Sequence[float], window: float = WINDOW_S) -> int:
    """The most requests inside any sliding window (t - window, t]."""
    ordered, best, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def textual_content(payload: dict[str, Any]) -> str:
    """The text DingTalk scans for keywords: titles and texts of every message type [INF §1.6]."""
    msgtype = payload.get("msgtype")
    section = payload.get(msgtype) if isinstance(msgtype, str) else None
    if not isinstance(section, dict):
        return ""
    parts: list[Any] = [section.get(k) for k in ("content", "title", "text")]
    for link in section.get("links") or []:  # feedCard
        if isinstance(link, dict):
            parts.append(link.get("title"))
    return "\n".join(p for p in parts if isinstance(p, str))


def effective_mentions(payload: dict[str, Any]) -> list[str]:
    """Userids DingTalk would really @: listed in at.atUserIds AND written as @userid in the text (§1.3)."""
    at = payload.get("at")
    userids = at.get("atUserIds") if isinstance(at, dict) else None
    text = textual_content(payload)
    return [u for u in userids or [] if isinstance(u, str) and f"@{u}" in text]


class FakeDingTalkRobot:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        per_minute: int = 20,
        block_seconds: int = 600,
        max_body: int = 20_000,
        unknown_token_errcode: int = 300001,
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.block_seconds = block_seconds
        self.max_body = max_body
        self.unknown_token_errcode = unknown_token_errcode
        self.accepted: dict[str, list[dict[str, Any]]] = {}
        self.rejected: list[tuple[str, int]] = []
        self.requests = 0
        self.blocks_triggered = 0
        # Every request: (fake time, token, errcode, msgUuid or None) — for window and duplicate checks.
        self.log: list[tuple[float, str, int, str | None]] = []
        # Called (outside the lock) after a message is accepted and before the reply goes out: a test can
        # kill the sender here to simulate "the vendor accepted, the sender never heard back".
        self.on_accept: Callable[[str, dict[str, Any]], None] | None = None
        self._robots: dict[str, _Robot] = {}
        # TestClient runs the app in another thread; uvicorn may serve several connections.
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/robot/send", self._send, methods=["POST"])])

    def add_robot(self, token: str, *, secret: str | None = None, keywords: Sequence[str] = ()) -> None:
        self._robots[token] = _Robot(secret=secret, keywords=tuple(keywords))
        self.accepted.setdefault(token, [])

    def block(self, token: str, seconds: float | None = None) -> None:
        """Put a robot in the rate block now, as if someone else had flooded it."""
        self._robots[token].blocked_until = self.clock() + (self.block_seconds if seconds is None else seconds)

    def remove_robot(self, token: str) -> None:
        """The robot is removed from the group: its token stops existing (300001/400101)."""
        self._robots.pop(token, None)

    def transport(self) -> SyncASGITransport:
        return SyncASGITransport(self.app)

    def unique_msg_uuids(self, token: str) -> set[str]:
        return {p["msgUuid"] for p in self.accepted.get(token, []) if isinstance(p.get("msgUuid"), str)}

    def blocked(self, token: str) -> bool:
        robot = self._robots.get(token)
        return robot is not None and self.clock() < robot.blocked_until

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.body()  # read before locking: the lock must never span an await
        with self._lock:
            accepted_before = sum(len(v) for v in self.accepted.values())
            code, msg = self._handle(request, body)
            uuid = _msg_uuid(body)
            token = request.query_params.get("access_token", "")
            self.log.append((self.clock(), token, code, uuid))
            fresh = sum(len(v) for v in self.accepted.values()) > accepted_before
        if fresh and self.on_accept is not None:
            self.on_accept(token, self.accepted[token][-1])
        return JSONResponse({"errcode": code, "errmsg": msg}, status_code=200)

    def _reject(self, token: str, code: int, msg: str) -> tuple[int, str]:
        self.rejected.append((token, code))
        return code, msg

    def _handle(self, request: Request, body: bytes) -> tuple[int, str]:
        self.requests += 1
        now = self.clock()
        token = request.query_params.get("access_token", "")
        robot = self._robots.get(token)
        if robot is None:
            return self._reject(token, self.unknown_token_errcode, "token is not exist")
        if now < robot.blocked_until:
            return self._reject(token, 410100, "发送速度太快而限流")
        if robot.secret is not None:
            error = self._check_sign(robot.secret, request, now)
            if error:
                return self._reject(token, 310000, error)
        while robot.window and robot.window[0] <= now - WINDOW_S:
            robot.window.popleft()
        if len(robot.window) >= self.per_minute:
            robot.blocked_until = now + self.block_seconds
            robot.window.clear()
            self.blocks_triggered += 1
            return self._reject(token, 410100, "发送速度太快而限流")
        robot.window.append(now)

        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._reject(token, 43004, "无效的HTTP HEADER Content-Type")
        if len(body) > self.max_body:
            return self._reject(
                token, 460101, "description: body 大小不合法;solution:请保持大小在 20000bytes 以内"
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return self._reject(token, 40035, "缺少参数 json")
        msgtype = payload.get("msgtype")
        if msgtype not in MSGTYPES:
            return self._reject(token, 400105, "不支持的消息类型")
        if not isinstance(payload.get(msgtype), dict):
            return self._reject(token, 40035, f"缺少参数 {msgtype}")
        if robot.keywords and not any(k in textual_content(payload) for k in robot.keywords):
            return self._reject(token, 310000, "keywords not in content")
        uuid = payload.get("msgUuid")
        if isinstance(uuid, str) and uuid:
            if uuid in robot.seen_uuids:
                return 0, "ok"  # idempotent retry: the group does not see it twice
            robot.seen_uuids.add(uuid)
        self.accepted[token].append(payload)
        return 0, "ok"

    @staticmethod
    def _check_sign(secret: str, request: Request, now: float) -> str | None:
        ts_text = request.query_params.get("timestamp")
        sign = request.query_params.get("sign")
        if ts_text is None or not ts_text.isdigit():
            return "invalid timestamp"
        if abs(int(now * 1000) - int(ts_text)) > MAX_SKEW_MS:
            return "invalid timestamp"
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{ts_text}\n{secret}".encode(), hashlib.sha256).digest()
        )
        if sign is None or not hmac.compare_digest(expected, sign.encode()):
            return "sign not match"
        return None
