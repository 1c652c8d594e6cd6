"""DingTalk H5 免登 for the liaison's page: an authCode from `dd.requestAuthCode` → the org member's userid.

The exchange itself (app access token, cached per process; `topapi/v2/user/getuserinfo`; 40078 for a bad or used
code) is the same internal-app flow the mini-program sign-in uses, so it is done by app.accounts.vendors; this
module only turns its answers into what the page shows (Chinese messages, no JSON problems).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.vendors import LoginCodeInvalid, VendorClients
from app.errors import AppError


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


def identify(clients: VendorClients, code: str, *, now: datetime) -> DingTalkIdentity:
    settings = clients.settings
    if not settings.dingtalk_app_key or not settings.dingtalk_app_secret.get_secret_value():
        raise DingTalkNotConfigured("钉钉免登未配置（ZHUQI_DINGTALK_APP_KEY / APP_SECRET）")
    try:
        identity = clients.dingtalk_identity(code, now=now)
    except LoginCodeInvalid:
        raise BadAuthCode("钉钉登录码无效或已使用，请重新打开页面") from None
    except AppError as exc:
        raise DingTalkError(exc.detail or "钉钉登录失败，请稍后重试") from None
    return DingTalkIdentity(userid=identity.subject, name=identity.display_name)
