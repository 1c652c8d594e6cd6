"""Transactional outbox: chat messages are written in the same transaction as the change that caused them.

`enqueue_for_event` is subscribed to appeals' `AppealEventRecorded` by app.notifications.handlers (via
app.wiring.install), so it runs inside the use case that recorded the event, before its one commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.appeals.domain_events import AppealEventRecorded
from app.appeals.models import Appeal, AppealEvent
from app.auth.models import User
from app.core import refcache
from app.enterprises.models import Enterprise
from app.enums import Status
from app.notifications import messages, rules
from app.notifications.models import Channel, OutboxMessage
from app.units.models import Unit

_DEADLINE_NONE = frozenset({Status.closed, Status.rejected, Status.withdrawn, Status.merged})
# The link a message opens (the liaison's page with a one-time token): built by the pages package, bound to the
# process's settings by app.wiring, passed in here so notifications import neither pages nor settings.
LinkFor = Callable[[Session, Appeal, datetime], str]


def new_message_id() -> str:
    """The idempotency id of a message: no '.', as Standard Webhooks requires of webhook-id."""
    return "msg_" + uuid.uuid4().hex


def context_to_json(ctx: messages.MessageContext) -> dict[str, Any]:
    data = asdict(ctx)
    data["deadline"] = ctx.deadline.isoformat() if ctx.deadline else None
    data["urgency_reasons"] = list(ctx.urgency_reasons)
    return data


_CONTEXT_FIELDS = frozenset(f.name for f in fields(messages.MessageContext))


def context_from_json(data: dict[str, Any]) -> messages.MessageContext:
    # Rows written before a field was dropped keep it (e.g. liaison_mobile): ignored, never rendered.
    values = {k: v for k, v in data.items() if k in _CONTEXT_FIELDS}
    values["deadline"] = datetime.fromisoformat(values["deadline"]) if values.get("deadline") else None
    values["urgency_reasons"] = tuple(values.get("urgency_reasons") or ())
    return messages.MessageContext(**values)


def _units_with_channels(session: Session) -> frozenset[int | str]:
    """Ids and codes of the units that have a channel (most events concern a unit that has none)."""
    rows = session.exec(select(Unit.id, Unit.code).join(Channel, col(Channel.unit_id) == Unit.id)).all()
    return frozenset(value for row in rows for value in row)


def _channels_for(session: Session, appeal: Appeal, event: AppealEvent) -> list[Channel]:
    """Channels of the appeal's owner and of the event's from/to units (an escalation: both groups).

    Broken (or vendor-blocked) channels included: their rows are written and held — the dispatcher claims
    only from usable channels — and go out, coalesced into digests if many, once the channel is usable again.
    """
    codes = {c for c in (event.from_unit_code, event.to_unit_code) if c}
    with_channels = refcache.cached(session, ("units_with_channels",), lambda: _units_with_channels(session))
    if appeal.unit_id not in with_channels and not codes & with_channels:
        return []
    unit_match = Channel.unit_id == appeal.unit_id
    if codes:
        involved = select(Unit.id).where(col(Unit.code).in_(codes))
        unit_match = or_(unit_match, col(Channel.unit_id).in_(involved))
    query = select(Channel).where(unit_match)
    return list(session.exec(query.order_by(col(Channel.id))).all())


def _deadline(appeal: Appeal) -> datetime | None:
    if appeal.status in _DEADLINE_NONE:
        return None
    return appeal.respond_by if appeal.status == Status.submitted else appeal.resolve_by


def _context(
    session: Session, appeal: Appeal, event: AppealEvent, event_type: str, *, internal: bool, now: datetime,
    link_for: LinkFor,
) -> messages.MessageContext:
    unit = session.get(Unit, appeal.unit_id)
    enterprise = session.get(Enterprise, appeal.enterprise_id) if internal else None
    mentions = appeal.liaison_user_id is not None and appeal.urgency == "red"  # red items @ the liaison
    liaison = session.get(User, appeal.liaison_user_id) if mentions else None
    return messages.MessageContext(
        event_type=event_type,
        number=appeal.number,
        title=appeal.title if internal else "",
        category=appeal.category,
        urgency=appeal.urgency,
        unit_name=unit.name if unit else "",
        tier=appeal.tier,
        status=appeal.status,
        deadline=_deadline(appeal),
        link=link_for(session, appeal, now),
        enterprise_name=enterprise.name if enterprise else None,
        liaison_userid=liaison.dingtalk_userid if liaison and liaison.active else None,
        liaison_wecom_userid=None,  # users hold no WeCom userid yet: WeCom groups get no @ rather than a wrong one
        note=event.note,
        urgency_reasons=tuple(appeal.urgency_reasons),
    )


# The name app.dingtalk.handlers subscribes to: every timeline event is now published by appeals itself
# (app.appeals.events.record_event), so per-user channels hear it without the outbox relaying it.
TimelineEventRecorded = AppealEventRecorded


def enqueue_for_event(session: Session, appeal: Appeal, event: AppealEvent, *, now: datetime,
                      link_for: LinkFor) -> int:
    """Adds one outbox row per channel subscribed to this event; returns how many. Never commits."""
    event_type = rules.notification_type(event.type)
    if event_type is None:
        return 0
    channels = [
        c for c in _channels_for(session, appeal, event)
        if rules.subscribes(c.events, c.min_urgency, event_type, appeal.urgency)
    ]
    contexts: dict[bool, messages.MessageContext] = {}
    for channel in channels:
        if channel.internal not in contexts:
            contexts[channel.internal] = _context(session, appeal, event, event_type, internal=channel.internal,
                                                  now=now, link_for=link_for)
        ctx = contexts[channel.internal]
        quota_mode = rules.quota_reached(
            rules.month_sends(channel.month_key, channel.month_sends, now), channel.monthly_quota
        )
        hold = rules.holds_for_digest(channel.events, quota_mode, appeal.urgency)
        session.add(
            OutboxMessage(
                id=new_message_id(),
                channel_id=channel.id,  # type: ignore[arg-type]
                appeal_id=appeal.id,
                event_type=event_type,
                urgency=appeal.urgency,
                priority=rules.priority(appeal.urgency),
                payload=messages.render(channel.kind, ctx, internal=channel.internal,
                                        keyword=channel.keyword),
                context=context_to_json(ctx),
                dedupe_key=f"{event.id}:{channel.id}",
                status=rules.OutboxStatus.pending,
                digest_hold=hold,
                next_attempt_at=rules.next_daily_digest(now) if hold else now,
                created_at=now,
            )
        )
    return len(channels)
