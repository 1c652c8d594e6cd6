"""Inbound DingTalk callbacks before any database work: signature checks and payload parsing.

Verification failures are 401 problem+json and nothing is read from the database or written; a callback whose
secret is not configured is refused (503) rather than accepted unsigned. A payload that does not fit its schema
(app/chatbot/schemas.py: bounds, control characters in an identifier) is a Chinese 422 naming the field, also
before any database work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from app.chatbot.schemas import CardCallbackIn, CardContent, RobotMessageIn
from app.config import Env, Settings
from app.core import metrics
from app.errors import AppError, FieldError, InvalidInput, ServiceUnavailable
from app.notifications import signing

log = logging.getLogger("app.chatbot")

M = TypeVar("M", bound=BaseModel)
REJECTED_HELP = "Chatbot callbacks refused before processing"


class InvalidSignature(AppError):
    status_code = 401
    code = "invalid_signature"
    title = "回调签名校验失败"


def _now_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def check_robot_signature(settings: Settings, timestamp: str | None, sign: str | None, *,
                          now: datetime) -> None:
    """`timestamp`/`sign` headers: HMAC-SHA256 keyed by the app secret, ±1 hour (chat-protocols §2.1)."""
    secret = settings.dingtalk_app_secret.get_secret_value()
    if not secret:
        metrics.inc("zhuqi_chatbot_rejected_total", reason="not_configured", help_text=REJECTED_HELP)
        raise ServiceUnavailable("未配置钉钉应用密钥 ZHUQI_DINGTALK_APP_SECRET，无法校验机器人回调，已拒绝")
    if not signing.verify_dingtalk_callback(timestamp, sign, secret, _now_ms(now)):
        metrics.inc("zhuqi_chatbot_rejected_total", reason="bad_signature", help_text=REJECTED_HELP)
        log.warning("robot callback refused: missing, stale or wrong timestamp/sign (timestamp=%r)",
                    (timestamp or "")[:20])
        raise InvalidSignature("请求头 timestamp/sign 缺失、与服务器时间相差超过 1 小时，或签名不匹配")


def check_card_signature(settings: Settings, timestamp: str | None, signature: str | None, *,
                         now: datetime) -> None:
    """`x-ddpaas-signature(-timestamp)` when an apiSecret is configured (§2.5). Without one, unsigned card
    callbacks would let anyone act as any user, so they are accepted only outside prod."""
    secret = settings.dingtalk_card_api_secret.get_secret_value()
    if not secret:
        if settings.env is Env.prod:
            raise ServiceUnavailable("未配置互动卡片回调密钥 ZHUQI_DINGTALK_CARD_API_SECRET，生产环境拒绝未签名的卡片回调")
        return
    if not signing.verify_card_callback(timestamp, signature, secret, _now_ms(now)):
        metrics.inc("zhuqi_chatbot_rejected_total", reason="bad_card_signature", help_text=REJECTED_HELP)
        log.warning("card callback refused: missing, stale or wrong x-ddpaas-signature")
        raise InvalidSignature("请求头 x-ddpaas-signature-timestamp/x-ddpaas-signature 缺失、过期或签名不匹配")


def _invalid(exc: ValidationError, prefix: str = "body") -> InvalidInput:
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err.get("loc", ())))
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            message = "不是合法的 JSON"
        elif err.get("type") == "model_type":
            message = "必须是 JSON 对象"
        errors.append(FieldError(field=loc, message=message, type=str(err.get("type", "value_error"))))
    return InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors)


def _parse(model: type[M], raw: bytes | str, prefix: str = "body") -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _invalid(exc, prefix) from None


def parse_robot_message(raw: bytes) -> RobotMessageIn:
    return _parse(RobotMessageIn, raw)


def parse_card_callback(raw: bytes) -> tuple[CardCallbackIn, CardContent]:
    callback = _parse(CardCallbackIn, raw)
    return callback, _parse(CardContent, callback.content, "body.content")
