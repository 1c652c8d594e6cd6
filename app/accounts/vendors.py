"""Mini-program login against the vendors (chat-protocols.md §3): WeChat `jscode2session` and the DingTalk
internal-app flow (app access token, cached until it expires, then `topapi/v2/user/getuserinfo`).

Edge code: httpx lives here and nowhere in the services. Every vendor answer is parsed defensively
(`json.loads(resp.content)` whatever the Content-Type, errcode branches only, unknown → failure) and every
failure becomes a clear problem+json answer (401/403/429/502/503), never a 500. Base URLs are settings, and
an httpx transport can be injected so tests talk to local fakes.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from app.accounts.models import Provider
from app.config import Settings
from app.errors import AppError, Forbidden, ServiceUnavailable, TooManyRequests, Unauthenticated

log = logging.getLogger("app.accounts.vendors")
# httpx logs every request line at INFO, and jscode2session carries the app secret and the login code in
# its query string: keep request lines out of the logs.
logging.getLogger("httpx").setLevel(logging.WARNING)

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
TOKEN_SAFETY_MARGIN = timedelta(minutes=5)
_MAX_ID = 128


class LoginCodeInvalid(Unauthenticated):
    code = "invalid_login_code"
    title = "登录凭证无效或已被使用"


class LoginBlocked(Forbidden):
    code = "login_blocked"
    title = "该账号被限制登录"


class VendorUnavailable(ServiceUnavailable):
    code = "vendor_unavailable"
    title = "登录服务暂时不可用，请稍后重试"

    def __init__(self, detail: str, *, retry_after_seconds: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class VendorError(AppError):
    status_code = 502
    code = "vendor_error"
    title = "登录服务返回了无法识别的结果"


@dataclass(frozen=True)
class VendorIdentity:
    provider: Provider
    subject: str  # WeChat openid / DingTalk userid
    unionid: str | None = None
    session_key: str | None = None  # WeChat only; stays on the server
    display_name: str | None = None


class AppTokenCache:
    """The DingTalk app access token, shared by the threads of one process until shortly before it expires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[str, str, datetime] | None = None  # (app_key, token, usable_until)

    def get(self, app_key: str, now: datetime) -> str | None:
        with self._lock:
            if self._entry and self._entry[0] == app_key and now < self._entry[2]:
                return self._entry[1]
            return None

    def put(self, app_key: str, token: str, usable_until: datetime) -> None:
        with self._lock:
            self._entry = (app_key, token, usable_until)

    def drop(self, token: str) -> None:
        with self._lock:
            if self._entry and self._entry[1] == token:
                self._entry = None


def _optional_id(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _MAX_ID:
        raise VendorError(f"登录服务返回的 {name} 格式异常")
    return value


def _required_id(body: dict[str, Any], name: str) -> str:
    value = _optional_id(body, name)
    if value is None:
        raise VendorError(f"登录服务未返回 {name}")
    return value


def _errcode(body: dict[str, Any]) -> int:
    """A missing errcode is success (WeChat sends it only on failure); anything unparsable is a failure."""
    value = body.get("errcode", 0)
    if isinstance(value, bool):
        return -999
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return -999


# WeChat jscode2session errcodes (official table plus the commonly seen 40163), chat-protocols.md §3.3.
WECHAT_CONFIG_ERRORS = frozenset({40013, 40125, 41002, 41004, 41008})
# DingTalk: an expired or unknown app token; refetch once.
DINGTALK_TOKEN_ERRORS = frozenset({40001, 40014, 42001})


def _wechat_error(errcode: int) -> AppError:
    if errcode == -1:
        return VendorUnavailable("微信登录服务繁忙，请稍后重试 (errcode -1)")
    if errcode == 40029:
        return LoginCodeInvalid("登录凭证（code）无效，请重新调用 wx.login (errcode 40029)")
    if errcode == 40163:
        return LoginCodeInvalid("登录凭证（code）已被使用，请重新调用 wx.login (errcode 40163)")
    if errcode == 45011:
        return TooManyRequests("登录过于频繁，请一分钟后再试 (errcode 45011)", retry_after_seconds=60)
    if errcode == 40226:
        return LoginBlocked("该微信用户被微信判定为高风险，暂不能登录 (errcode 40226)")
    if errcode in WECHAT_CONFIG_ERRORS:
        log.error("WeChat jscode2session refused our app credentials: errcode %s", errcode)
        return VendorUnavailable(f"微信登录配置有误，请联系管理员 (errcode {errcode})", retry_after_seconds=60)
    return VendorError(f"微信登录服务返回错误 (errcode {errcode})")


class VendorClients:
    """One instance per request; the token cache is the process-wide part."""

    def __init__(
        self, settings: Settings, *, token_cache: AppTokenCache, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.token_cache = token_cache
        self.transport = transport

    def _client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport, timeout=TIMEOUT, follow_redirects=False)

    def _call(self, vendor: str, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        try:
            with self._client() as client:
                response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("%s login call failed: %s", vendor, exc.__class__.__name__)
            raise VendorUnavailable(f"{vendor}登录服务连接失败，请稍后重试") from None
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            if response.status_code >= 500:
                raise VendorUnavailable(f"{vendor}登录服务暂时不可用 (HTTP {response.status_code})") from None
            raise VendorError(f"{vendor}登录服务返回的内容不是 JSON (HTTP {response.status_code})") from None
        if not isinstance(body, dict):
            raise VendorError(f"{vendor}登录服务返回的内容格式异常")
        return response.status_code, body

    # --- WeChat -----------------------------------------------------------------------------------------

    def wechat_identity(self, code: str) -> VendorIdentity:
        settings = self.settings
        if not settings.wechat_app_id or not settings.wechat_app_secret.get_secret_value():
            raise VendorUnavailable("未配置微信小程序 AppID/AppSecret，请联系管理员", retry_after_seconds=300)
        status, body = self._call(
            "微信", "GET", settings.wechat_api_base.rstrip("/") + "/sns/jscode2session",
            params={"appid": settings.wechat_app_id, "secret": settings.wechat_app_secret.get_secret_value(),
                    "js_code": code, "grant_type": "authorization_code"},
        )
        errcode = _errcode(body)
        if errcode != 0:
            raise _wechat_error(errcode)
        if status >= 500:
            raise VendorUnavailable(f"微信登录服务暂时不可用 (HTTP {status})")
        return VendorIdentity(
            provider=Provider.wechat,
            subject=_required_id(body, "openid"),
            unionid=_optional_id(body, "unionid"),
            session_key=_optional_id(body, "session_key"),
        )

    # --- DingTalk (enterprise internal app) -------------------------------------------------------------

    def _dingtalk_app_token(self, now: datetime) -> str:
        app_key = self.settings.dingtalk_app_key
        cached = self.token_cache.get(app_key, now)
        if cached is not None:
            return cached
        status, body = self._call(
            "钉钉", "POST", self.settings.dingtalk_api_base.rstrip("/") + "/v1.0/oauth2/accessToken",
            json={"appKey": app_key, "appSecret": self.settings.dingtalk_app_secret.get_secret_value()},
        )
        token, expire_in = body.get("accessToken"), body.get("expireIn")
        if status != 200 or not isinstance(token, str) or not token:
            log.error("DingTalk app token refused: HTTP %s code %s", status, body.get("code"))
            if status >= 500:
                raise VendorUnavailable("钉钉登录服务暂时不可用")
            raise VendorUnavailable("钉钉应用凭证有误，请联系管理员", retry_after_seconds=60)
        lifetime = timedelta(seconds=expire_in if isinstance(expire_in, int) and expire_in > 0 else 7200)
        self.token_cache.put(app_key, token, now + max(lifetime - TOKEN_SAFETY_MARGIN, lifetime / 2))
        return token

    def dingtalk_identity(self, auth_code: str, *, now: datetime) -> VendorIdentity:
        settings = self.settings
        if not settings.dingtalk_app_key or not settings.dingtalk_app_secret.get_secret_value():
            raise VendorUnavailable("未配置钉钉应用 AppKey/AppSecret，请联系管理员", retry_after_seconds=300)
        for attempt in (1, 2):
            token = self._dingtalk_app_token(now)
            _, body = self._call(
                "钉钉", "POST", settings.dingtalk_oapi_base.rstrip("/") + "/topapi/v2/user/getuserinfo",
                params={"access_token": token}, json={"code": auth_code},
            )
            errcode = _errcode(body)
            if errcode in DINGTALK_TOKEN_ERRORS and attempt == 1:
                self.token_cache.drop(token)
                continue
            break
        if errcode == 40078:
            raise LoginCodeInvalid("免登授权码无效或已被使用，请重新获取 (errcode 40078)")
        if errcode == -1:
            raise VendorUnavailable("钉钉登录服务繁忙，请稍后重试 (errcode -1)")
        if errcode != 0:
            raise VendorError(f"钉钉登录服务返回错误 (errcode {errcode})")
        result = body.get("result")
        if not isinstance(result, dict):
            raise VendorError("钉钉登录服务未返回用户信息")
        name = result.get("name")
        return VendorIdentity(
            provider=Provider.dingtalk,
            subject=_required_id(result, "userid"),
            unionid=_optional_id(result, "unionid"),
            display_name=name[:50] if isinstance(name, str) and name.strip() else None,
        )


def from_app_state(state: Any) -> VendorClients:
    """Vendor clients for one request: settings, the process-wide token cache and, in tests, a transport
    (`app.state.http_transport`: an httpx transport, or a factory returning one)."""
    cache = getattr(state, "dingtalk_token_cache", None)
    if cache is None:
        cache = state.dingtalk_token_cache = AppTokenCache()
    transport = getattr(state, "http_transport", None)
    if transport is not None and not isinstance(transport, httpx.BaseTransport):
        transport = transport()
    return VendorClients(state.settings, token_cache=cache, transport=transport)
