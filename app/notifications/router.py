"""Admin API of chat-group notifications: channels, the outbox, alerts. Thin: use cases live in service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Path, Query, Request

from app.auth.deps import AdminDep
from app.core.pagination import CursorQuery, LimitQuery, Page, decode_cursor, decode_cursor_id
from app.core.validation import IdPath, IdQuery
from app.deps import NowDep, SessionDep, SettingsDep, waits_on_vendor
from app.errors import InvalidInput, problem_responses
from app.notifications import alerts, outbox, sender, service
from app.notifications.delivery import throttle_wait
from app.notifications.models import AdminAlert, Channel, OutboxMessage
from app.notifications.rules import OutboxStatus, mask_url
from app.notifications.schemas import (
    AlertPage,
    AlertRead,
    ChannelCreate,
    ChannelPage,
    ChannelRead,
    ChannelTestResult,
    ChannelUpdate,
    OutboxPage,
    OutboxRead,
)
from app.units.models import Unit

router = APIRouter(prefix="/api/v1", tags=["notifications"])


def get_http_client() -> Iterator[httpx.Client]:
    """The client for test messages (tests override it with the fake robot's transport)."""
    with sender.make_client() as client:
        yield client


def get_url_guard(settings: SettingsDep) -> sender.UrlGuard:
    return sender.UrlGuard.from_settings(settings)


HttpClientDep = Annotated[httpx.Client, Depends(get_http_client)]
GuardDep = Annotated[sender.UrlGuard, Depends(get_url_guard)]


def channel_read(channel: Channel, unit: Unit) -> ChannelRead:
    return ChannelRead.model_validate(channel.model_dump(exclude={"secret", "url"}) | {
        "unit_code": unit.code, "url": mask_url(channel.url), "has_secret": bool(channel.secret),
        "month_sends": channel.month_sends if channel.month_key else 0,
    })


def outbox_read(message: OutboxMessage, channel: Channel, unit: Unit) -> OutboxRead:
    extra = {"channel_kind": channel.kind, "unit_code": unit.code}
    return OutboxRead.model_validate(message.model_dump(exclude={"payload", "context"}) | extra)


def alert_read(alert: AdminAlert, unit: Unit) -> AlertRead:
    return AlertRead.model_validate(alert.model_dump() | {"unit_code": unit.code})


@router.post("/units/{code}/channels", status_code=201, response_model=ChannelRead,
             responses=problem_responses(403, 404))
def create_channel(code: str, data: ChannelCreate, session: SessionDep, principal: AdminDep, now: NowDep,
                   guard: GuardDep) -> ChannelRead:
    """为单位登记群机器人通知渠道；地址须为 https 且主机在允许列表中，密钥只写不读。"""
    return channel_read(*service.create_channel(session, principal, code, data, now=now,
                                                check_url=guard.check))


@router.get("/units/{code}/channels", response_model=ChannelPage, responses=problem_responses(403, 404))
def list_channels(code: str, session: SessionDep, principal: AdminDep, settings: SettingsDep,
                  limit: LimitQuery = 50, cursor: CursorQuery = None) -> ChannelPage:
    """列出单位的通知渠道。"""
    secret = settings.signing_secret
    rows, unit = service.list_channels(session, principal, code, after_id=decode_cursor_id(cursor, secret),
                                       limit=limit + 1)
    page = Page.of(rows, limit, secret)
    return ChannelPage(items=[channel_read(c, unit) for c in page.rows], next_cursor=page.next_cursor)


@router.get("/channels/{channel_id}", response_model=ChannelRead, responses=problem_responses(403, 404))
def get_channel(channel_id: IdPath, session: SessionDep, principal: AdminDep) -> ChannelRead:
    """读取一个通知渠道（密钥不返回，地址中的凭据打码）。"""
    return channel_read(*service.get_channel(session, principal, channel_id))


@router.patch("/channels/{channel_id}", response_model=ChannelRead, responses=problem_responses(403, 404))
def update_channel(channel_id: IdPath, data: ChannelUpdate, session: SessionDep, principal: AdminDep,
                   now: NowDep, guard: GuardDep) -> ChannelRead:
    """修改通知渠道：订阅、最低紧急程度、关键词、密钥、地址、额度。"""
    return channel_read(*service.update_channel(session, principal, channel_id, data, now=now,
                                                check_url=guard.check))


@router.delete("/channels/{channel_id}", response_model=ChannelRead, responses=problem_responses(403, 404))
def delete_channel(channel_id: IdPath, session: SessionDep, principal: AdminDep) -> ChannelRead:
    """删除通知渠道及其发件箱记录；返回被删除的渠道。"""
    return channel_read(*service.delete_channel(session, principal, channel_id))


@router.post("/channels/{channel_id}/test", response_model=ChannelTestResult,
             responses=problem_responses(403, 404, 429))
@waits_on_vendor
def test_channel(channel_id: IdPath, request: Request, session: SessionDep, principal: AdminDep, now: NowDep,
                 client: HttpClientDep, guard: GuardDep) -> ChannelTestResult:
    """立即发送一条测试消息，返回厂商的应答（占用本分钟的发送额度）。"""
    target, send_id, payload = service.reserve_test_send(session, principal, channel_id, now=now)
    attempt = sender.deliver(client, target, payload, outbox.new_message_id(), now=now, guard=guard)
    verdict = attempt.verdict
    throttled = verdict.outcome == "throttled"
    throttled_for = throttle_wait(target.kind, attempt.retry_after, now) if throttled else None
    service.settle_test_send(session, send_id, channel_id=channel_id, throttled_for=throttled_for,
                             now=request.app.state.clock())
    return ChannelTestResult(ok=verdict.outcome == "sent", outcome=verdict.outcome, code=verdict.code,
                             detail=verdict.detail, http_status=attempt.http_status,
                             vendor_answer=attempt.answer)


@router.post("/channels/{channel_id}/activate", response_model=ChannelRead,
             responses=problem_responses(403, 404, 409))
def activate_channel(channel_id: IdPath, session: SessionDep, principal: AdminDep, now: NowDep) -> ChannelRead:
    """重新启用已停用（broken）的渠道；积压的消息随后补发。"""
    return channel_read(*service.activate_channel(session, principal, channel_id, now=now))


def _outbox_position(cursor: str | None, secret: str) -> tuple[datetime, str] | None:
    position = decode_cursor(cursor, secret)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(str(position["t"])), str(position["id"])
    except (KeyError, ValueError):
        raise InvalidInput.field("query.cursor", "分页游标不属于此列表 (cursor from another list)") from None


@router.get("/outbox", response_model=OutboxPage, responses=problem_responses(403))
def list_outbox(session: SessionDep, principal: AdminDep, settings: SettingsDep,
                status: OutboxStatus | None = None, channel_id: IdQuery | None = None,
                appeal_id: IdQuery | None = None,
                limit: LimitQuery = 50, cursor: CursorQuery = None) -> OutboxPage:
    """发件箱：按状态、渠道、诉求筛选，新的在前。"""
    secret = settings.signing_secret
    rows = service.list_outbox(session, principal, status=status, channel_id=channel_id, appeal_id=appeal_id,
                               before=_outbox_position(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"t": row[0].created_at.isoformat(), "id": row[0].id})
    return OutboxPage(items=[outbox_read(*row) for row in page.rows], next_cursor=page.next_cursor)


@router.post("/outbox/{msg_id}/redeliver", response_model=OutboxRead,
             responses=problem_responses(403, 404, 409))
def redeliver(msg_id: Annotated[str, Path(max_length=40)], session: SessionDep, principal: AdminDep,
              now: NowDep) -> OutboxRead:
    """重新投递一条失败（dead）的消息：回到待发送，尝试次数清零，消息 id 不变。"""
    return outbox_read(*service.redeliver(session, principal, msg_id, now=now))


@router.get("/alerts", response_model=AlertPage, responses=problem_responses(403))
def list_alerts(session: SessionDep, principal: AdminDep, settings: SettingsDep,
                unacknowledged: bool | None = None, kind: Annotated[str | None, Query(max_length=30)] = None,
                limit: LimitQuery = 50, cursor: CursorQuery = None) -> AlertPage:
    """管理员提醒：渠道停用、消息投递失败、月度额度预警，新的在前。"""
    secret = settings.signing_secret
    rows = alerts.list_alerts(session, principal, unacknowledged=unacknowledged, kind=kind,
                              before_id=decode_cursor_id(cursor, secret), limit=limit + 1)
    page = Page.of(rows, limit, secret, lambda row: {"id": row[0].id})
    return AlertPage(items=[alert_read(a, u) for a, u in page.rows], next_cursor=page.next_cursor)


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead,
             responses=problem_responses(403, 404, 409))
def acknowledge_alert(alert_id: IdPath, session: SessionDep, principal: AdminDep, now: NowDep) -> AlertRead:
    """确认一条提醒。"""
    return alert_read(*alerts.acknowledge(session, principal, alert_id, now=now))
