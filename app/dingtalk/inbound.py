"""Robot messages and card clicks arriving over DingTalk's Stream connection, run through the very handlers of
HTTP mode (app.chatbot.service), de-duplicated by the gateway's messageId.

The gateway redelivers a frame it got no ack for, with the same messageId, and SDK 0.24.3 hands it to the
handler again: the first answer is stored and a redelivery gets it back, so nothing runs twice. A robot reply
cannot ride on the ack, so it is posted to the message's `sessionWebhook` — accepted only on DingTalk's own host
(a frame comes over our authenticated socket, and still no other URL is called).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete

from app.chatbot import callbacks, service
from app.db import session_for
from app.dingtalk.models import DingTalkStreamMessage
from app.errors import AppError

log = logging.getLogger("app.dingtalk.stream")

TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
KEEP = timedelta(days=1)  # the gateway redelivers within about a minute; a day is plenty
BUSY_CARD = {"userPrivateData": {"cardParamMap": {"message": "正在处理，请稍候"}},
             "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True}}
EMPTY = {"msgtype": "empty"}


def _claim(engine: Engine, message_id: str, topic: str, now: datetime) -> dict[str, Any] | None:
    """None when this frame is new (and now ours); else the stored answer (or a 'busy' one while in flight)."""
    with session_for(engine) as session:
        session.add(DingTalkStreamMessage(message_id=message_id[:100], topic=topic[:100], received_at=now))
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        seen = session.get(DingTalkStreamMessage, message_id[:100])
        if seen is not None and seen.status == "done" and seen.response is not None:
            return seen.response
        return BUSY_CARD if topic == TOPIC_CARD else EMPTY


def _store(engine: Engine, message_id: str, response: dict[str, Any], now: datetime) -> None:
    with session_for(engine) as session:
        row = session.get(DingTalkStreamMessage, message_id[:100])
        if row is not None:
            row.status, row.response = "done", response
            session.add(row)
        session.exec(delete(DingTalkStreamMessage).where(col(DingTalkStreamMessage.received_at) < now - KEEP))
        session.commit()


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def handle_card(engine: Engine, data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The card-callback answer (cardData for everyone, userPrivateData for the clicker), as over HTTP."""
    raw = json.dumps(data, ensure_ascii=False).encode()
    try:
        callback, content = callbacks.parse_card_callback(raw)
    except AppError as exc:
        return {"userPrivateData": {"cardParamMap": {"message": (exc.detail or exc.title)[:300]}}}
    with session_for(engine) as session:
        return _dump(service.handle_card_callback(session, callback, content, now=now))


def handle_robot(engine: Engine, data: dict[str, Any], *, now: datetime,
                 reply: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """The chatbot's reply to an @-message (de-duplicated by msgId in app.chatbot as over HTTP), also posted to
    the session webhook through `reply` when given."""
    raw = json.dumps(data, ensure_ascii=False).encode()
    try:
        message = callbacks.parse_robot_message(raw)
    except AppError:
        return EMPTY
    with session_for(engine) as session:
        answer = _dump(service.handle_robot_message(session, message, now=now))
    webhook = data.get("sessionWebhook")
    if reply is not None and answer.get("msgtype") not in (None, "empty") and isinstance(webhook, str):
        reply(webhook, answer)
    return answer


def frame(engine: Engine, topic: str, message_id: str, data: dict[str, Any], *, now: datetime,
          reply: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """One CALLBACK frame: the answer that goes in the ack's {"response": …}."""
    stored = _claim(engine, message_id, topic, now)
    if stored is not None:
        return stored
    if topic == TOPIC_CARD:
        answer = handle_card(engine, data, now=now)
    else:
        answer = handle_robot(engine, data, now=now, reply=reply)
    _store(engine, message_id, answer, now)
    return answer


def session_webhook_poster(client: httpx.Client, oapi_base: str) -> Callable[[str, dict[str, Any]], None]:
    """Posts a reply to a session webhook on DingTalk's own host only (https, the configured oapi host)."""
    allowed = httpx.URL(oapi_base)

    def post(url: str, body: dict[str, Any]) -> None:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            return
        if (target.scheme, target.host, target.port) != (allowed.scheme, allowed.host, allowed.port):
            log.warning("session webhook on another host ignored: %s", target.host)
            return
        try:
            answer = client.post(target, json=body, timeout=5.0)
            if answer.status_code != 200 or (answer.json() or {}).get("errcode") not in (0, None):
                log.warning("session webhook reply refused: %s %s", answer.status_code, answer.text[:200])
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("session webhook reply failed: %s", type(exc).__name__)

    return post
