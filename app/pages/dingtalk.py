"""DingTalk H5 免登 for org members (chat-protocols §3.1): an authCode from `dd.requestAuthCode` → userid.

1. app access token: POST {api_base}/v1.0/oauth2/accessToken {appKey, appSecret} → {accessToken, expireIn};
   cached per process until five minutes before it expires (DingTalk limits how often it may be fetched);
2. POST {oapi_base}/topapi/v2/user/getuserinfo?access_token=… {code} → {errcode: 0, result: {userid, name}}.
   Success is `errcode == 0` in the body, never the HTTP status. 40078: the code is unknown or already used.

A small sync httpx client (routes are sync). One instance lives on app.state so the token cache is shared by
requests; tests hand it an httpx.MockTransport through `app.state.dingtalk_transport`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

log = logging.getLogger("app.pages.dingtalk")

BAD_CODE = 40078  # 不存在的临时授权码 (unknown or already used; codes are single-use, 5 minutes)
TOKEN_ERRORS = frozenset({40014, 42001})  # invalid / expired access_token: fetch a new one and retry once
REFRESH_MARGIN = timedelta(minutes=5)


class DingTalkError(Exception):
    """DingTalk refused or failed; `message` is Chinese and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadAuthCode(DingTalkError):
    pass


class DingTalkNotConfigured(DingTalkError):
    pass


@dataclass(frozen=True)
class DingTalkIdentity:
    userid: str
    name: str | None


class DingTalkLogin:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        api_base: str,
        oapi_base: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._app_key, self._app_secret = app_key, app_secret
        self._api_base, self._oapi_base = api_base.rstrip("/"), oapi_base.rstrip("/")
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires_at: datetime | None = None

    @property
    def configured(self) -> bool:
        return bool(self._app_key and self._app_secret)

    def close(self) -> None:
        self._client.close()

    def identify(self, code: str, *, now: datetime) -> DingTalkIdentity:
        if not self.configured:
            raise DingTalkNotConfigured("钉钉免登未配置（ZHUQI_DINGTALK_APP_KEY / APP_SECRET）")
        body = self._getuserinfo(code, self.app_token(now=now))
        if body.get("errcode") in TOKEN_ERRORS:
            self.forget_token()
            body = self._getuserinfo(code, self.app_token(now=now))
        errcode = body.get("errcode")
        if errcode == BAD_CODE:
            raise BadAuthCode("钉钉登录码无效或已使用，请重新打开页面")
        result = body.get("result") if errcode == 0 else None
        userid = result.get("userid") if isinstance(result, dict) else None
        if not isinstance(userid, str) or not userid:
            log.warning("dingtalk getuserinfo failed errcode=%s errmsg=%s", errcode, body.get("errmsg"))
            raise DingTalkError(f"钉钉登录失败（错误码 {errcode}），请稍后重试")
        name = result.get("name") if isinstance(result, dict) else None
        return DingTalkIdentity(userid=userid, name=name if isinstance(name, str) else None)

    def app_token(self, *, now: datetime) -> str:
        with self._lock:
            if self._token and self._token_expires_at and now < self._token_expires_at - REFRESH_MARGIN:
                return self._token
            body = self._post(f"{self._api_base}/v1.0/oauth2/accessToken",
                              {"appKey": self._app_key, "appSecret": self._app_secret}, what="accessToken")
            token, expires_in = body.get("accessToken"), body.get("expireIn")
            if not isinstance(token, str) or not token:
                log.error("dingtalk accessToken refused: code=%s message=%s", body.get("code"), body.get("message"))
                raise DingTalkError("钉钉应用凭据无效，请联系管理员")
            self._token = token
            self._token_expires_at = now + timedelta(seconds=int(expires_in) if isinstance(expires_in, int) else 7200)
            return token

    def forget_token(self) -> None:
        with self._lock:
            self._token = None
            self._token_expires_at = None

    def _getuserinfo(self, code: str, token: str) -> dict[str, Any]:
        url = httpx.URL(f"{self._oapi_base}/topapi/v2/user/getuserinfo").copy_merge_params({"access_token": token})
        return self._post(url, {"code": code}, what="getuserinfo")

    def _post(self, url: httpx.URL | str, payload: dict[str, Any], *, what: str) -> dict[str, Any]:
        try:
            response = self._client.post(url, json=payload)
        except httpx.HTTPError as exc:
            log.warning("dingtalk %s unreachable: %s", what, exc.__class__.__name__)
            raise DingTalkError("暂时无法连接钉钉，请稍后重试") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("dingtalk %s answered HTTP %s without JSON", what, response.status_code)
            raise DingTalkError("钉钉接口异常，请稍后重试")
        return body
