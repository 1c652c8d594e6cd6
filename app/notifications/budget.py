"""Per-channel rate budget and monthly quota meter, shared by every worker through the database.

Callers hold the channel row lock (lock_channel: SELECT … FOR UPDATE on PostgreSQL; on SQLite the
BEGIN IMMEDIATE writer lock of app.db) while they read the window and record a send, so no two workers
can both take the last slot. Never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from app.notifications import alerts, delivery, rules
from app.notifications.models import Channel, ChannelSend

_LOG_KEEP = timedelta(hours=1)


def lock_channel(session: Session, channel_id: int) -> Channel | None:
    query = select(Channel).where(Channel.id == channel_id).with_for_update().execution_options(
        populate_existing=True
    )
    return session.exec(query).first()


def slots(session: Session, channel: Channel, now: datetime,
          window: timedelta = delivery.WINDOW) -> tuple[int, datetime | None]:
    """Sends allowed now in the sliding window (60 s; shorter only against a time-scaled fake), and when the
    next slot frees if none. A vendor with a per-second limit too (Feishu: 5/s) is held to both: one round
    claims up to 50 rows, which the minute's budget alone would let out in one burst."""
    since = now - window
    times = list(session.exec(
        select(ChannelSend.sent_at).where(ChannelSend.channel_id == channel.id,
                                          col(ChannelSend.sent_at) > since)
    ).all())
    free, free_at = delivery.window_slots(times, now, channel.per_minute_budget, window)
    per_second = rules.PER_SECOND_BUDGET.get(rules.ChannelKind(channel.kind))
    if free and per_second:
        second = window / 60  # scaled like the minute against a time-scaled fake
        free_now, second_free_at = delivery.window_slots(times, now, per_second, second)
        if free_now < free:
            return free_now, second_free_at
    return free, free_at


def record_send(session: Session, channel: Channel, now: datetime) -> ChannelSend:
    """Takes one slot and counts the call against the monthly quota (warning the city admins once a month)."""
    send = ChannelSend(channel_id=channel.id, sent_at=now)  # type: ignore[arg-type]
    session.add(send)
    session.exec(delete(ChannelSend).where(ChannelSend.channel_id == channel.id,
                                           col(ChannelSend.sent_at) < now - _LOG_KEEP))
    key = rules.month_key(now)
    if channel.month_key != key:
        channel.month_key, channel.month_sends = key, 0
    channel.month_sends += 1
    if rules.quota_reached(channel.month_sends, channel.monthly_quota) and channel.quota_alert_month != key:
        channel.quota_alert_month = key
        label = channel.name or f"#{channel.id}"
        alerts.add_alert(
            session, unit_id=alerts.city_unit_id(session, channel.unit_id),
            kind=alerts.AlertKind.quota_warning, channel_id=channel.id, now=now,
            message=f"渠道 {label}（{channel.kind}）本月已发送 {channel.month_sends} 条，达到月度额度 "
                    f"{channel.monthly_quota} 的 80%；绿色、黄色事件改为每日汇总推送。",
        )
    session.add(channel)
    session.flush()
    return send


def settle(session: Session, send_id: int | None, answered_at: datetime) -> None:
    """Moves a send to when its answer came: the vendor received it no later than that (conservative)."""
    if send_id is None:
        return
    session.exec(
        sa.update(ChannelSend)
        .where(col(ChannelSend.id) == send_id, col(ChannelSend.sent_at) < answered_at)
        .values(sent_at=answered_at)
    )
