"""Coalescing: a channel's backlog becomes digest messages instead of waiting minutes per message.

Runs under the channel lock, only when a slot is free (lazy: the digest then holds everything that
piled up, so a burst costs a few digests, not one per pile). Originals are marked `coalesced` with a
pointer to their digest row — nothing is dropped. Never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, or_, select, update

from app.db import is_postgres
from app.notifications import messages, rules
from app.notifications.models import Channel, OutboxMessage
from app.notifications.outbox import context_from_json, new_message_id

DIGEST = rules.DIGEST_EVENT


def _backlog(session: Session, channel: Channel, *, owner: str, now: datetime) -> list[OutboxMessage]:
    """Pending event rows of the channel that no other live worker holds; locked on PostgreSQL."""
    query = select(OutboxMessage).where(
        OutboxMessage.channel_id == channel.id,
        OutboxMessage.status == rules.OutboxStatus.pending,
        OutboxMessage.event_type != DIGEST,
        col(OutboxMessage.context).is_not(None),
        or_(
            col(OutboxMessage.lease_owner).is_(None),
            OutboxMessage.lease_owner == owner,
            col(OutboxMessage.lease_until) <= now,
        ),
    ).order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query.execution_options(populate_existing=True)).all())


def _to_coalesce(
    rows: list[OutboxMessage], channel: Channel, queue: set[str], now: datetime
) -> list[OutboxMessage]:
    held_due = [r for r in rows if r.digest_hold and (r.id in queue or r.next_attempt_at <= now)]
    flowing = [r for r in rows if not r.digest_hold]
    if len(flowing) > channel.per_minute_budget:
        return flowing + held_due  # more than a minute's budget waiting: one list beats a slow trickle
    return held_due  # the daily digest is due (quota saving or the channel's own choice)


def maybe_coalesce(
    session: Session, channel: Channel, queue: list[str], *, owner: str, now: datetime, lease_until: datetime
) -> tuple[list[str], dict[str, int]]:
    """Returns the new send queue (digests first, red first) and the priority of every new digest row."""
    rows = _to_coalesce(_backlog(session, channel, owner=owner, now=now), channel, set(queue), now)
    if not rows:
        return queue, {}
    contexts = [context_from_json(r.context or {}) for r in rows]
    try:
        pages = messages.render_digest_indexed(channel.kind, contexts, internal=channel.internal,
                                               keyword=channel.keyword)
    except ValueError:  # an item too big to list (cannot happen with clipped fields): send one by one
        return queue, {}
    digests: list[str] = []
    priorities: dict[str, int] = {}
    for payload, indices in pages:
        members = [rows[i] for i in indices]
        top = max(members, key=lambda r: r.priority)
        digest = OutboxMessage(
            id=new_message_id(), channel_id=channel.id, appeal_id=None,  # type: ignore[arg-type]
            event_type=DIGEST, urgency=top.urgency, priority=top.priority, payload=payload, context=None,
            dedupe_key="", status=rules.OutboxStatus.pending, attempts=0, next_attempt_at=lease_until,
            lease_owner=owner, lease_until=lease_until, created_at=now,
        )
        digest.dedupe_key = f"digest:{digest.id}"
        session.add(digest)
        session.flush()
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([m.id for m in members]))
            .values(status=rules.OutboxStatus.coalesced, coalesced_into=digest.id, lease_owner=None,
                    lease_until=None)
        )
        digests.append(digest.id)
        priorities[digest.id] = digest.priority
    taken = {r.id for r in rows}
    return digests + [q for q in queue if q not in taken], priorities
