"""A fake of the Feishu/Lark custom bot webhook that enforces its rules (chat-protocols.md §4.2).

    fake = FakeFeishuRobot(clock=lambda: now[0])
    fake.add_robot("5c1d2e3f-…", secret="…", keywords=["诉求"])
    httpx.Client(transport=fake.transport())

Every reply is HTTP 200 JSON, checked in this order:
  1. unknown hook id → 19001 "param invalid: incoming webhook access token invalid";
  2. rate, per robot: more than `per_second` (5) requests in any sliding second or `per_minute` (100) in any
     sliding minute → 11232 (the request still counts: a sender must budget attempts, not successes);
  3. body > 20 KB → 9499 Bad Request; not a JSON object or unknown msg_type → 9499;
  4. signed robot: `timestamp` (epoch SECONDS, a string in the body) more than 1 h from the fake's clock, or a
     wrong `sign` → 19021 "sign match fail or timestamp is not within one hour from current time";
  5. keywords configured and none in the message → 19024 "Key Words Not Found";
  6. otherwise success, payload appended to accepted[hook].
The sign is computed here independently of app.notifications.signing (key = f"{ts}\\n{secret}", empty message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.dingtalk_robot import SyncASGITransport

MSG_TYPES = frozenset({"text", "post", "image", "share_chat", "interactive"})
MAX_BODY = 20 * 1024
MAX_SKEW_S = 3600
SUCCESS = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


@dataclass
class _Robot:
    secret: str | None
    keywords: tuple[str, ...]
    times: list[float] = field(default_factory=list)


class FakeFeishuRobot:
    def __init__(self, *, clock: Callable[[], float] = time.time, per_second: int = 5, per_minute: int = 100) -> None:
        self.clock = clock
        self.per_second = per_second
        self.per_minute = per_minute
        self.accepted: dict[str, list[dict[str, Any]]] = {}
        self.rejected: list[tuple[str, int]] = []
        self.log: list[tuple[float, str, int]] = []  # (fake time, hook, code) of every request
        self.bodies: list[dict[str, Any]] = []  # every parsed request body, accepted or not
        self._robots: dict[str, _Robot] = {}
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/open-apis/bot/v2/hook/{hook}", self._send, methods=["POST"])])

    def add_robot(self, hook: str, *, secret: str | None = None, keywords: Sequence[str] = ()) -> None:
        self._robots[hook] = _Robot(secret=secret, keywords=tuple(keywords))
        self.accepted.setdefault(hook, [])

    def transport(self) -> SyncASGITransport:
        return SyncASGITransport(self.app)

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.body()
        hook = request.path_params["hook"]
        with self._lock:
            code, msg = self._handle(hook, body)
            self.log.append((self.clock(), hook, code))
            if code:
                self.rejected.append((hook, code))
        return JSONResponse(SUCCESS if code == 0 else {"code": code, "msg": msg}, status_code=200)

    def _handle(self, hook: str, body: bytes) -> tuple[int, str]:
        now = self.clock()
        robot = self._robots.get(hook)
        if robot is None:
            return 19001, "param invalid: incoming webhook access token invalid"
        robot.times.append(now)
        if (sum(1 for t in robot.times if t > now - 1.0) > self.per_second
                or sum(1 for t in robot.times if t > now - 60.0) > self.per_minute):
            return 11232, "frequency limited"
        if len(body) > MAX_BODY:
            return 9499, "Bad Request"
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict) or payload.get("msg_type") not in MSG_TYPES:
            return 9499, "Bad Request"
        self.bodies.append(payload)
        if robot.secret is not None and not self._signed(robot.secret, payload, now):
            return 19021, "sign match fail or timestamp is not within one hour from current time"
        if robot.keywords and not any(k in json.dumps(payload, ensure_ascii=False) for k in robot.keywords):
            return 19024, "Key Words Not Found"
        self.accepted[hook].append(payload)
        return 0, "success"

    @staticmethod
    def _signed(secret: str, payload: dict[str, Any], now: float) -> bool:
        ts, sign = payload.get("timestamp"), payload.get("sign")
        if not isinstance(ts, str) or not ts.isdigit() or not isinstance(sign, str):
            return False
        if abs(int(now) - int(ts)) > MAX_SKEW_S:
            return False
        expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, sign)
