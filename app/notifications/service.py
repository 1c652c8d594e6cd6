"""Channel and outbox administration. Each public function is one use case and commits it.

URL checks (SSRF rules, DNS) are passed in by the caller as `check_url(url, kind) -> normalised url`
raising ssrf.UnsafeUrl, so this module needs neither settings nor the network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, and_, col, delete, or_, select, update

from app.auth.principal import Principal
from app.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.notifications import budget, messages, rules, ssrf
from app.notifications.delivery import Target
from app.notifications.models import AdminAlert, Channel, ChannelSend, OutboxMessage
from app.notifications.rules import ChannelKind, ChannelState, OutboxStatus
from app.notifications.schemas import ChannelCreate, ChannelUpdate
from app.units import service as units
from app.units.models import Unit

CheckUrl = Callable[[str, str], str]
_NOT_NULL = frozenset({"url", "events", "min_urgency", "internal", "per_minute_budget"})


def _unit_in_reach(session: Session, principal: Principal, code: str) -> Unit:
    return units.get_in_reach(session, principal, code)


def get_channel(session: Session, principal: Principal, channel_id: int) -> tuple[Channel, Unit]:
    channel = session.get(Channel, channel_id)
    unit = session.get(Unit, channel.unit_id) if channel else None
    if channel is None or unit is None or not principal.reaches_path(unit.path):
        raise NotFound(f"通知渠道 {channel_id} 不存在或不在您的权限范围内")
    return channel, unit


def _checked_url(check_url: CheckUrl, url: str, kind: str) -> str:
    try:
        return check_url(url, kind)
    except ssrf.UnsafeUrl as exc:
        raise InvalidInput.field("body.url", str(exc)) from None


def _check_secret(kind: ChannelKind, secret: str | None) -> None:
    if kind is ChannelKind.wecom and secret:
        raise InvalidInput.field("body.secret", "企业微信群机器人不支持加签，请不要填写 secret")
    if kind is ChannelKind.webhook and not secret:
        raise InvalidInput.field("body.secret", "通用 webhook 必须设置签名密钥（Standard Webhooks，whsec_…）")
    if secret and secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.field("body.secret", "whsec_ 之后必须是 base64") from None
        if not 24 <= len(key) <= 64:
            raise InvalidInput.field("body.secret", "whsec_ 密钥须为 24–64 字节")


def _check_budget(kind: ChannelKind, per_minute: int) -> None:
    if per_minute > rules.MAX_BUDGET[kind]:
        raise InvalidInput.field("body.per_minute_budget",
                                 f"{kind} 渠道每分钟最多 {rules.MAX_BUDGET[kind]} 条（厂商限流）")


def create_channel(session: Session, principal: Principal, unit_code: str, data: ChannelCreate, *,
                   now: datetime, check_url: CheckUrl) -> tuple[Channel, Unit]:
    unit = _unit_in_reach(session, principal, unit_code)
    kind = ChannelKind(data.kind)
    _check_secret(kind, data.secret)
    per_minute = data.per_minute_budget or rules.DEFAULT_BUDGET[kind]
    _check_budget(kind, per_minute)
    quota = rules.DEFAULT_MONTHLY_QUOTA[kind]
    if "monthly_quota" in data.model_fields_set:  # an explicit null means "no quota"
        quota = data.monthly_quota
    channel = Channel(
        unit_id=unit.id,  # type: ignore[arg-type]
        name=data.name, kind=kind, url=_checked_url(check_url, data.url, kind), secret=data.secret,
        keyword=data.keyword, events=list(dict.fromkeys(str(e) for e in data.events)),
        min_urgency=data.min_urgency, internal=data.internal, per_minute_budget=per_minute,
        monthly_quota=quota, state=ChannelState.active, created_at=now, updated_at=now,
    )
    session.add(channel)
    session.commit()
    return channel, unit


def list_channels(session: Session, principal: Principal, unit_code: str, *, after_id: int | None,
                  limit: int) -> tuple[list[Channel], Unit]:
    unit = _unit_in_reach(session, principal, unit_code)
    query = select(Channel).where(Channel.unit_id == unit.id)
    if after_id is not None:
        query = query.where(col(Channel.id) > after_id)
    return list(session.exec(query.order_by(col(Channel.id)).limit(limit)).all()), unit


def update_channel(session: Session, principal: Principal, channel_id: int, data: ChannelUpdate, *,
                   now: datetime, check_url: CheckUrl) -> tuple[Channel, Unit]:
    channel, unit = get_channel(session, principal, channel_id)
    kind = ChannelKind(channel.kind)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for field in _NOT_NULL & changes.keys():
        if changes[field] is None:
            raise InvalidInput.field(f"body.{field}", "不能为 null")
    if "url" in changes:
        changes["url"] = _checked_url(check_url, changes["url"], kind)
    if "secret" in changes:
        _check_secret(kind, changes["secret"])
    if "per_minute_budget" in changes:
        _check_budget(kind, changes["per_minute_budget"])
    if "events" in changes:
        changes["events"] = list(dict.fromkeys(str(e) for e in changes["events"]))
    for field, value in changes.items():
        setattr(channel, field, value)
    channel.updated_at = now
    session.add(channel)
    session.commit()
    return channel, unit


def delete_channel(session: Session, principal: Principal, channel_id: int) -> tuple[Channel, Unit]:
    """Removes the channel with its outbox and send log; its alerts stay, detached."""
    channel, unit = get_channel(session, principal, channel_id)
    session.exec(update(AdminAlert).where(AdminAlert.channel_id == channel.id).values(channel_id=None))
    session.exec(delete(OutboxMessage).where(OutboxMessage.channel_id == channel.id))
    session.exec(delete(ChannelSend).where(ChannelSend.channel_id == channel.id))
    session.delete(channel)
    session.commit()
    return channel, unit


def activate_channel(
    session: Session, principal: Principal, channel_id: int, *, now: datetime
) -> tuple[Channel, Unit]:
    """A fixed channel resumes; its held-back pending messages flow again (coalesced if many)."""
    channel, unit = get_channel(session, principal, channel_id)
    if channel.state == ChannelState.active:
        raise Conflict(f"通知渠道 {channel_id} 已是启用状态")
    channel.state, channel.broken_reason, channel.updated_at = ChannelState.active, None, now
    session.add(channel)
    session.commit()
    return channel, unit


def reserve_test_send(session: Session, principal: Principal, channel_id: int, *,
                      now: datetime) -> tuple[Target, int | None, dict[str, Any]]:
    """Takes a budget slot for a test message now (429 when the minute's budget is used up)."""
    get_channel(session, principal, channel_id)
    channel = budget.lock_channel(session, channel_id)
    assert channel is not None
    unit = session.get(Unit, channel.unit_id)
    if channel.blocked_until is not None and channel.blocked_until > now:
        raise TooManyRequests("该渠道正被厂商限流，请稍后再试",
                              retry_after_seconds=int((channel.blocked_until - now).total_seconds()) + 1)
    free, free_at = budget.slots(session, channel, now)
    if free == 0:
        wait = int(((free_at or now) - now).total_seconds()) + 1
        raise TooManyRequests("该渠道本分钟的发送额度已用完，请稍后再试", retry_after_seconds=wait)
    send = budget.record_send(session, channel, now)
    target = Target(channel_id=channel_id, kind=channel.kind, url=channel.url, secret=channel.secret)
    payload = messages.render_test(channel.kind, unit_name=unit.name if unit else "", keyword=channel.keyword)
    session.commit()
    return target, send.id, payload


def settle_test_send(
    session: Session, send_id: int | None, *, channel_id: int, throttled_for: timedelta | None, now: datetime
) -> None:
    """Records when the answer came and, if the vendor throttled the robot, keeps the dispatcher away."""
    budget.settle(session, send_id, now)
    if throttled_for is not None:
        channel = budget.lock_channel(session, channel_id)
        until = now + throttled_for
        if channel is not None and (channel.blocked_until is None or channel.blocked_until < until):
            channel.blocked_until = until
            session.add(channel)
    session.commit()


def list_outbox(
    session: Session, principal: Principal, *, status: OutboxStatus | None, channel_id: int | None,
    appeal_id: int | None, before: tuple[datetime, str] | None, limit: int,
) -> list[tuple[OutboxMessage, Channel, Unit]]:
    query = (
        select(OutboxMessage, Channel, Unit)
        .join(Channel, col(Channel.id) == OutboxMessage.channel_id)
        .join(Unit, col(Unit.id) == Channel.unit_id)
        .where(col(Unit.path).startswith(principal.unit_path or "\x00"))
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if channel_id is not None:
        query = query.where(OutboxMessage.channel_id == channel_id)
    if appeal_id is not None:
        query = query.where(OutboxMessage.appeal_id == appeal_id)
    if before is not None:
        at, msg_id = before
        query = query.where(or_(col(OutboxMessage.created_at) < at,
                                and_(col(OutboxMessage.created_at) == at, col(OutboxMessage.id) < msg_id)))
    query = query.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc()).limit(limit)
    return [(m, c, u) for m, c, u in session.exec(query).all()]


def redeliver(session: Session, principal: Principal, msg_id: str, *,
              now: datetime) -> tuple[OutboxMessage, Channel, Unit]:
    message = session.get(OutboxMessage, msg_id)
    if message is None:
        raise NotFound(f"消息 {msg_id} 不存在或不在您的权限范围内")
    try:
        channel, unit = get_channel(session, principal, message.channel_id)
    except NotFound:
        raise NotFound(f"消息 {msg_id} 不存在或不在您的权限范围内") from None
    if message.status != OutboxStatus.dead:
        raise Conflict(f"只有投递失败（dead）的消息可以重新投递，当前状态为 {message.status}")
    message.status, message.attempts, message.next_attempt_at = OutboxStatus.pending, 0, now
    message.lease_owner = message.lease_until = message.last_error = None
    session.add(message)
    session.commit()
    return message, channel, unit
