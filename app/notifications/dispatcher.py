"""The outbox dispatcher: claim due rows with a lease, send each within its channel's budget, fenced ack.

Database transactions are short and never span network I/O:
  1. claim   — one transaction: due pending rows of usable channels get a lease (`FOR UPDATE SKIP
               LOCKED` on PostgreSQL; the BEGIN IMMEDIATE writer lock on SQLite). The lease moves
               next_attempt_at forward, so a dead worker's rows come due again when it expires.
  2. reserve — per message, under the channel row lock: blocked? budget slot free? coalesce a backlog
               into digests; take a slot and count the attempt (fenced on lease owner and attempts).
  3. send    — no transaction open: sign for this moment, POST once, classify the answer.
  4. ack     — fenced UPDATE … WHERE id AND lease_owner AND attempts: sent / retry later / dead; a
               throttle pushes the channel back without using up an attempt; a permanent channel error
               breaks the channel and alerts its admins.
At-least-once: a crash between 3 and 4 re-sends the same id (msgUuid / webhook-id) after the lease.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, or_, select, update

from app.config import Settings
from app.core import metrics
from app.db import is_postgres, session_for
from app.notifications import alerts, budget, coalesce, delivery, sender
from app.notifications.delivery import Outcome
from app.notifications.models import Channel, OutboxMessage
from app.notifications.rules import ChannelState, OutboxStatus

log = logging.getLogger("app.notifications.dispatcher")


def default_owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Run:
    engine: Engine
    owner: str
    lease: timedelta
    now: datetime
    client: httpx.Client
    guard: sender.UrlGuard
    rand: Callable[[], float]
    window: timedelta = delivery.WINDOW  # settings.rate_window_seconds
    started: float = field(default_factory=time.monotonic)

    def tick(self) -> datetime:
        """`now` plus the real time this round has taken: sends are logged when they really happen."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


@dataclass(frozen=True)
class _Reserved:
    msg_id: str
    attempts: int
    payload: dict[str, Any]
    target: sender.Target
    send_id: int | None


def _claim(
    session: Session, *, now: datetime, owner: str, lease: timedelta, limit: int
) -> list[tuple[str, int, int]]:
    usable = select(Channel.id).where(
        Channel.state == ChannelState.active,
        or_(col(Channel.blocked_until).is_(None), col(Channel.blocked_until) <= now),
    )
    query = (
        select(OutboxMessage.id, OutboxMessage.channel_id, OutboxMessage.priority)
        .where(OutboxMessage.status == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now,
               col(OutboxMessage.channel_id).in_(usable))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)  # type: ignore[arg-type]
    rows = [(r[0], r[1], r[2]) for r in session.exec(query).all()]
    if rows:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([r[0] for r in rows]))
            .values(lease_owner=owner, lease_until=now + lease, next_attempt_at=now + lease)
        )
    session.commit()
    return rows


def _release(session: Session, ids: list[str], owner: str, next_at: datetime) -> None:
    """Gives rows back without spending an attempt; they are due again at `next_at`."""
    if ids:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), OutboxMessage.lease_owner == owner,
                   OutboxMessage.status == OutboxStatus.pending)
            .values(lease_owner=None, lease_until=None, next_attempt_at=next_at)
        )


def _reserve(session: Session, run: _Run, channel: Channel, msg_id: str, now: datetime) -> _Reserved | None:
    row = session.get(OutboxMessage, msg_id, populate_existing=True)
    if row is None or row.status != OutboxStatus.pending or row.lease_owner != run.owner:
        return None  # coalesced, or our lease ran out and another worker has it
    attempts, payload = row.attempts + 1, dict(row.payload)
    taken = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == msg_id, OutboxMessage.lease_owner == run.owner,
               OutboxMessage.attempts == attempts - 1, OutboxMessage.status == OutboxStatus.pending)
        .values(attempts=attempts, lease_until=now + run.lease, next_attempt_at=now + run.lease)
    )
    if taken.rowcount != 1:
        return None
    send = budget.record_send(session, channel, now)
    target = sender.Target(channel_id=channel.id,  # type: ignore[arg-type]
                           kind=channel.kind, url=channel.url, secret=channel.secret)
    return _Reserved(msg_id, attempts, payload, target, send.id)


def _fenced(reserved: _Reserved, owner: str, **values: Any) -> Any:
    return (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == reserved.msg_id, OutboxMessage.lease_owner == owner,
               OutboxMessage.attempts == reserved.attempts, OutboxMessage.status == OutboxStatus.pending)
        .values(**values)
    )


def _break_channel(session: Session, channel_id: int, verdict: delivery.Verdict, now: datetime) -> None:
    channel = budget.lock_channel(session, channel_id)
    if channel is None or channel.state == ChannelState.broken:
        return
    channel.state = ChannelState.broken
    channel.broken_reason = f"{verdict.code} {verdict.detail}"[:500]
    channel.updated_at = now
    session.add(channel)
    label = channel.name or f"#{channel.id}"
    alerts.add_alert(
        session, unit_id=channel.unit_id, kind=alerts.AlertKind.channel_broken, channel_id=channel.id,
        now=now,
        message=f"渠道 {label}（{channel.kind}）已停用：{verdict.code} {verdict.detail}。"
                "请检查机器人地址、加签密钥或群状态，修复后重新启用；未发送的消息会在启用后补发。",
    )


def _ack(session: Session, run: _Run, reserved: _Reserved, attempt: sender.Attempt, now: datetime) -> bool:
    verdict, kind = attempt.verdict, reserved.target.kind
    error = f"{verdict.code} {verdict.detail}"[:500]
    budget.settle(session, reserved.send_id, now)
    if verdict.outcome is Outcome.sent:
        done = session.exec(_fenced(reserved, run.owner, status=OutboxStatus.sent, sent_at=now,
                                    lease_owner=None, lease_until=None, last_error=None))
        metrics.inc("zhuqi_notifications_sent_total", help_text="Messages the vendor accepted", kind=kind)
        return done.rowcount == 1
    if verdict.outcome is Outcome.throttled:
        until = now + delivery.throttle_wait(kind, attempt.retry_after, now)
        done = session.exec(_fenced(reserved, run.owner, attempts=reserved.attempts - 1,
                                    next_attempt_at=until, lease_owner=None, lease_until=None,
                                    last_error=error))
        if done.rowcount == 1:
            channel = budget.lock_channel(session, reserved.target.channel_id)
            if channel is not None and (channel.blocked_until is None or channel.blocked_until < until):
                channel.blocked_until = until
                session.add(channel)
        metrics.inc("zhuqi_notifications_throttled_total", help_text="Vendor throttle answers", kind=kind)
        return False
    delay = None
    if verdict.outcome is not Outcome.permanent:
        delay = delivery.next_attempt_delay(reserved.attempts, run.rand())
    if delay is not None:
        session.exec(_fenced(reserved, run.owner, next_attempt_at=now + delay, lease_owner=None,
                             lease_until=None, last_error=error))
        metrics.inc("zhuqi_notifications_failed_total", help_text="Failed delivery attempts", kind=kind)
        return False
    metrics.inc("zhuqi_notifications_failed_total", help_text="Failed delivery attempts", kind=kind)
    if verdict.breaks_channel or verdict.breaks_when_exhausted:
        # The channel is at fault, not this message: it waits with the channel's other messages (a fresh
        # retry schedule) and goes out once an admin re-activates the channel — what the alert promises.
        held = session.exec(_fenced(reserved, run.owner, attempts=0, next_attempt_at=now, lease_owner=None,
                                    lease_until=None, last_error=error))
        if held.rowcount == 1:
            _break_channel(session, reserved.target.channel_id, verdict, now)
        return False
    done = session.exec(_fenced(reserved, run.owner, status=OutboxStatus.dead, lease_owner=None,
                                lease_until=None, last_error=error))
    metrics.inc("zhuqi_notifications_dead_total", help_text="Messages given up on", kind=kind)
    if done.rowcount == 1:
        channel = session.get(Channel, reserved.target.channel_id)
        if channel is not None:
            alerts.add_alert(session, unit_id=channel.unit_id, kind=alerts.AlertKind.message_dead,
                             channel_id=channel.id, now=now,
                             message=f"消息 {reserved.msg_id} 投递失败已放弃（{error}），可在发件箱中重新投递。")
    return False


def _attempt(run: _Run, reserved: _Reserved) -> sender.Attempt:
    try:
        return sender.deliver(run.client, reserved.target, reserved.payload, reserved.msg_id, now=run.tick(),
                              guard=run.guard)
    except Exception as exc:  # a bug or bad data (e.g. an undecodable secret): dead + alert, not a retry loop
        log.exception("sending %s failed unexpectedly", reserved.msg_id)
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return sender.Attempt(delivery.Verdict(Outcome.permanent, "internal", detail))


def _run_channel(run: _Run, channel_id: int, queue: list[str], priorities: dict[str, int]) -> int:
    sent, coalesced = 0, False
    while queue:
        with session_for(run.engine) as session:
            now = run.tick()
            channel = budget.lock_channel(session, channel_id)
            if channel is None or channel.state != ChannelState.active:
                _release(session, queue, run.owner, run.now)
                session.commit()
                return sent
            if channel.blocked_until is not None and channel.blocked_until > now:
                _release(session, queue, run.owner, channel.blocked_until)
                session.commit()
                return sent
            free, free_at = budget.slots(session, channel, now, run.window)
            if free == 0:
                _release(session, queue, run.owner, free_at or now + run.window)
                session.commit()
                return sent
            if not coalesced:
                coalesced = True
                queue, new = coalesce.maybe_coalesce(session, channel, queue, owner=run.owner, now=now,
                                                     lease_until=now + run.lease)
                priorities.update(new)
                queue.sort(key=lambda i: -priorities.get(i, 0))  # stable: digests keep their page order
            reserved = _reserve(session, run, channel, queue.pop(0), now) if queue else None
            session.commit()
        if reserved is None:
            continue
        attempt = _attempt(run, reserved)
        with session_for(run.engine) as session:
            sent += _ack(session, run, reserved, attempt, run.tick())
            session.commit()
    return sent


def dispatch_due(
    engine: Engine,
    settings: Settings,
    now: datetime,
    *,
    client: httpx.Client | None = None,
    owner: str | None = None,
    limit: int = 50,
    rand: Callable[[], float] = random.random,
    guard: sender.UrlGuard | None = None,
) -> int:
    """One dispatch round; returns how many messages the vendors accepted. Safe with any number of workers."""
    started = time.monotonic()  # `now` is this moment: the round's clock counts the claim too
    run_owner = owner or default_owner()
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    window = timedelta(seconds=settings.rate_window_seconds)
    with session_for(engine) as session:
        claimed = _claim(session, now=now, owner=run_owner, lease=lease, limit=limit)
    if not claimed:
        return 0
    own_client = client is None
    run = _Run(engine, run_owner, lease, now, client or sender.make_client(),
               guard or sender.UrlGuard.from_settings(settings), rand, window, started)
    by_channel: dict[int, list[str]] = {}
    priorities = {msg_id: prio for msg_id, _, prio in claimed}
    for msg_id, channel_id, _ in claimed:
        by_channel.setdefault(channel_id, []).append(msg_id)
    sent = 0
    try:
        for channel_id, ids in by_channel.items():
            ids.sort(key=lambda i: -priorities[i])
            sent += _run_channel(run, channel_id, ids, priorities)
    finally:
        if own_client:
            run.client.close()
    return sent


LAG_WARN = timedelta(minutes=5)


def lag_check(session: Session, now: datetime) -> dict[str, Any]:
    """/readyz: how long the oldest due message has waited (dispatcher lag) and how many are due."""
    # Rows held for a broken channel wait for an admin, not for the dispatcher: they are not lag.
    active = select(Channel.id).where(Channel.state == ChannelState.active)
    due = (OutboxMessage.status == OutboxStatus.pending, col(OutboxMessage.next_attempt_at) <= now,
           col(OutboxMessage.channel_id).in_(active))
    oldest = session.exec(select(func.min(OutboxMessage.next_attempt_at)).where(*due)).one()
    count = session.exec(select(func.count()).select_from(OutboxMessage).where(*due)).one()
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return {"status": "lagging" if lag > LAG_WARN.total_seconds() else "ok", "lag_seconds": round(lag, 1),
            "due_messages": int(count)}


def run_job(engine: Engine, settings: Settings, now: datetime) -> int:
    """The worker's dispatcher job (app.worker.registered_jobs)."""
    return dispatch_due(engine, settings, now)
