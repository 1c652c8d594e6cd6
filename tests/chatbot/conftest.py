"""The chatbot tests run the app with DingTalk secrets configured (the reference vectors' secrets), and talk to it
the way DingTalk does: raw JSON bytes with `timestamp`/`sign` headers computed here, independently of
app.notifications.signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

APP_SECRET = "this is a secret"  # chat-protocols §2.1 test vector
CARD_SECRET = "mySecret"  # chat-protocols §2.5 test vector
ROBOT_URL = "/api/v1/callbacks/dingtalk"
CARD_URL = "/api/v1/callbacks/dingtalk/card"


def robot_sign(timestamp: str, secret: str = APP_SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def card_sign(timestamp: str, secret: str = CARD_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).digest()).decode()


def ms(clock: Any) -> str:
    return str(int(clock.now.timestamp() * 1000))


@pytest.fixture
def app(db, settings, clock):  # type: ignore[no-untyped-def]
    from app.main import create_app

    configured = settings.model_copy(update={"dingtalk_app_secret": SecretStr(APP_SECRET),
                                             "dingtalk_card_api_secret": SecretStr(CARD_SECRET)})
    return create_app(configured, engine=db, clock=clock)


_ids = itertools.count(1)


def robot_payload(content: str, *, sender: str = "wangxm01", msg_id: str | None = None, nick: str = "王晓明",
                  conversation_type: str = "2", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversationId": "cidXiXiJieDao==",
        "chatbotCorpId": "dinge8a565xxxx",
        "chatbotUserId": "$:LWCP_v1:$Cxxxxx",
        "msgId": msg_id or f"msg{next(_ids):08d}",
        "senderNick": nick,
        "isAdmin": False,
        "senderStaffId": sender,
        "createAt": 1772413200000,
        "conversationType": conversation_type,
        "senderId": "$:LWCP_v1:$Ff09GIxxxxx",
        "conversationTitle": "西溪街道企业服务专员群",
        "isInAtList": True,
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=xxxxx",
        "sessionWebhookExpiredTime": 1772418600000,
        "msgtype": "text",
        "text": {"content": content},
    }
    body.update(extra)
    return body


@dataclass
class Robot:
    """Posts signed robot callbacks like DingTalk does."""

    client: Any
    clock: Any
    sent: list[dict[str, Any]] = field(default_factory=list)

    def post(self, body: dict[str, Any] | bytes, *, timestamp: str | None = None, sign: str | None = None) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        ts = ms(self.clock) if timestamp is None else timestamp
        headers = {"Content-Type": "application/json; charset=utf-8", "timestamp": ts,
                   "sign": robot_sign(ts) if sign is None else sign}
        return self.client.post(ROBOT_URL, content=raw, headers=headers)

    def send(self, content: str, **kwargs: Any) -> Any:
        body = robot_payload(content, **kwargs)
        self.sent.append(body)
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response

    def say(self, content: str, **kwargs: Any) -> str:
        reply = self.send(content, **kwargs).json()
        assert reply["msgtype"] == "markdown", reply
        return reply["markdown"]["text"]


@pytest.fixture
def robot(client, clock) -> Robot:  # type: ignore[no-untyped-def]
    return Robot(client, clock)


def card_payload(user: str, action: str, **params: Any) -> dict[str, Any]:
    content = {"cardPrivateData": {"actionIds": [action], "params": {"action": action, **params}}}
    return {"type": "actionCallback", "outTrackId": "appeal-card-1", "corpId": "dingXXXXXX", "userId": user,
            "content": json.dumps(content, ensure_ascii=False)}


def post_card(client: Any, clock: Any, body: dict[str, Any] | bytes, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    ts = ms(clock)
    sent = {"Content-Type": "application/json", "x-ddpaas-signature-timestamp": ts,
            "x-ddpaas-signature": card_sign(ts)}
    sent.update(headers)
    return client.post(CARD_URL, content=raw, headers=sent)
