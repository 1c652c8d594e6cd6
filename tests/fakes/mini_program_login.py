"""Fakes of the vendors' mini-program login endpoints (chat-protocols.md §3), served through one
httpx.MockTransport that routes by host:

- WeChat `GET /sns/jscode2session`: checks appid/secret/grant_type; codes are single use (a replay answers
  40163 "code been used"); unknown codes answer 40029; a code can be primed to answer any errcode; success
  carries no errcode at all (as the real one) and is served as text/plain unless told otherwise.
- DingTalk `POST /v1.0/oauth2/accessToken` (app token, counted) and
  `POST /topapi/v2/user/getuserinfo?access_token=…`: a stale token answers 40014, an unknown or used auth
  code 40078.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

WECHAT_BASE = "https://wechat.fake"
DINGTALK_API_BASE = "https://api.dingtalk.fake"
DINGTALK_OAPI_BASE = "https://oapi.dingtalk.fake"
WECHAT_APP_ID, WECHAT_SECRET = "wx-test-app", "wx-test-secret"
DINGTALK_KEY, DINGTALK_SECRET = "ding-test-key", "ding-test-secret"


def login_settings() -> dict[str, Any]:
    """Settings that point the app's sign-in at these fakes (for `Settings.model_copy(update=...)`)."""
    from pydantic import SecretStr

    return {"wechat_app_id": WECHAT_APP_ID, "wechat_app_secret": SecretStr(WECHAT_SECRET), "wechat_api_base": WECHAT_BASE,
            "dingtalk_app_key": DINGTALK_KEY, "dingtalk_app_secret": SecretStr(DINGTALK_SECRET),
            "dingtalk_api_base": DINGTALK_API_BASE, "dingtalk_oapi_base": DINGTALK_OAPI_BASE}


def _json(body: dict[str, Any], *, status: int = 200, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"Content-Type": content_type})


@dataclass
class FakeWeChat:
    content_type: str = "text/plain"  # what WeChat often sends for JSON bodies
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    primed: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    calls: int = 0
    accept_any: bool = False  # an unknown code signs in a user of its own (for fuzzing) instead of 40029

    def issue(self, openid: str, *, unionid: str | None = None) -> str:
        return self.issue_as("wx-" + secrets.token_hex(8), openid, unionid=unionid)

    def issue_as(self, code: str, openid: str, *, unionid: str | None = None) -> str:
        self.codes[code] = {"openid": openid, "session_key": "sk-" + secrets.token_hex(8)}
        if unionid:
            self.codes[code]["unionid"] = unionid
        return code

    def prime(self, code: str, body: dict[str, Any]) -> str:
        self.primed[code] = body
        return code

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        q = request.url.params
        if request.method != "GET" or request.url.path != "/sns/jscode2session":
            return httpx.Response(404)
        if q.get("appid") != WECHAT_APP_ID or q.get("secret") != WECHAT_SECRET:
            return _json({"errcode": 40013, "errmsg": "invalid appid"}, content_type=self.content_type)
        if q.get("grant_type") != "authorization_code":
            return _json({"errcode": 40002, "errmsg": "invalid grant_type"}, content_type=self.content_type)
        code = q.get("js_code", "")
        if code in self.primed:
            return _json(self.primed[code], content_type=self.content_type)
        if code in self.used:
            return _json({"errcode": 40163, "errmsg": "code been used, rid: 6740-1b2c"}, content_type=self.content_type)
        if code not in self.codes and self.accept_any:
            self.issue_as(code, "o-" + hashlib.sha256(code.encode()).hexdigest()[:24])
        if code not in self.codes:
            return _json({"errcode": 40029, "errmsg": "invalid code, rid: 6740-1b2d"}, content_type=self.content_type)
        self.used.add(code)
        return _json(self.codes[code], content_type=self.content_type)


@dataclass
class FakeDingTalkLogin:
    expire_in: int = 7200
    token: str = field(default_factory=lambda: "at-" + secrets.token_hex(6))
    token_calls: int = 0
    userinfo_calls: int = 0
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    accept_any: bool = False  # an unknown code signs in a user of its own (for fuzzing) instead of 40078
    used: set[str] = field(default_factory=set)

    def issue(self, userid: str, *, name: str = "张三", unionid: str | None = None) -> str:
        return self.issue_as("dd-" + secrets.token_hex(8), userid, name=name, unionid=unionid)

    def issue_as(self, code: str, userid: str, *, name: str = "张三", unionid: str | None = None) -> str:
        self.codes[code] = {"userid": userid, "unionid": unionid or "u-" + userid, "name": name, "sys": False,
                            "sys_level": 0, "device_id": "dev-1"}
        return code

    def rotate_token(self) -> None:
        """DingTalk invalidates the app token early (e.g. the secret was reset)."""
        self.token = "at-" + secrets.token_hex(6)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if request.url.path == "/v1.0/oauth2/accessToken" and request.method == "POST":
            self.token_calls += 1
            if body != {"appKey": DINGTALK_KEY, "appSecret": DINGTALK_SECRET}:
                return _json({"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"},
                             status=400)
            return _json({"accessToken": self.token, "expireIn": self.expire_in})
        if request.url.path == "/topapi/v2/user/getuserinfo" and request.method == "POST":
            self.userinfo_calls += 1
            if request.url.params.get("access_token") != self.token:
                return _json({"errcode": 40014, "errmsg": "不合法的access_token"})
            code = body.get("code", "")
            if self.accept_any and code not in self.codes and code not in self.used:
                self.issue_as(code, "u" + hashlib.sha256(code.encode()).hexdigest()[:20])
            result = self.codes.pop(code, None)
            self.used.add(code)
            if result is None:
                return _json({"errcode": 40078, "errmsg": "不存在的临时授权码"})
            return _json({"errcode": 0, "errmsg": "ok", "request_id": "req-1", "result": result})
        return httpx.Response(404)


@dataclass
class LoginFakes:
    wechat: FakeWeChat = field(default_factory=FakeWeChat)
    dingtalk: FakeDingTalkLogin = field(default_factory=FakeDingTalkLogin)
    fail_with: Exception | None = None  # e.g. httpx.ConnectError to simulate the network

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with is not None:
            raise self.fail_with
        host = request.url.host
        if host == httpx.URL(WECHAT_BASE).host:
            return self.wechat.handle(request)
        if host in (httpx.URL(DINGTALK_API_BASE).host, httpx.URL(DINGTALK_OAPI_BASE).host):
            return self.dingtalk.handle(request)
        return httpx.Response(404)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)
