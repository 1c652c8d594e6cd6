"""Pure notification rules: event types, subscriptions, budgets, quota mode, daily digest time, masking.

No session, no clock, no I/O: every function takes what it needs (including `now`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta
from enum import StrEnum

import httpx

from app.core.time import SHANGHAI
from app.enums import URGENCY_RANK, Urgency


class ChannelKind(StrEnum):
    dingtalk = "dingtalk"
    wecom = "wecom"
    feishu = "feishu"
    webhook = "webhook"


class ChannelState(StrEnum):
    active = "active"
    broken = "broken"


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"
    coalesced = "coalesced"


class EventType(StrEnum):
    """Timeline events a channel can subscribe to (DESIGN §6). `digest` means: low-urgency events
    (green/yellow) of this channel always come in one daily digest instead of one by one."""

    submitted = "submitted"
    signed = "signed"
    progress = "progress"
    info_requested = "info_requested"
    resolved = "resolved"
    returned = "returned"
    escalated = "escalated"
    reminder = "reminder"
    overdue = "overdue"
    supervised = "supervised"
    reopened = "reopened"
    rated = "rated"
    closed = "closed"
    digest = "digest"


NOTIFIABLE_EVENTS: frozenset[str] = frozenset(e.value for e in EventType if e is not EventType.digest)
DIGEST_EVENT = "digest"
# Timeline events outside DESIGN §6's list that a group still needs to hear about, as the event they amount to:
# an enterprise's 催办 is a reminder, its 补充 is progress, and a hand-over must be signed for at the new unit.
EVENT_ALIASES: dict[str, str] = {
    "urged": EventType.reminder,
    "supplemented": EventType.progress,
    "rerouted": EventType.submitted,
    "delegated": EventType.submitted,
}


def notification_type(event_type: str) -> str | None:
    """The notification event type of a timeline event, or None when groups are not told about it."""
    kind = EVENT_ALIASES.get(event_type, event_type)
    return str(kind) if kind in NOTIFIABLE_EVENTS else None

# Per-minute budgets keep a margin under the vendors' limits (DingTalk/WeCom 20/min, Feishu 100/min).
DEFAULT_BUDGET: dict[ChannelKind, int] = {
    ChannelKind.dingtalk: 18, ChannelKind.wecom: 18, ChannelKind.feishu: 90, ChannelKind.webhook: 60,
}
MAX_BUDGET: dict[ChannelKind, int] = {
    ChannelKind.dingtalk: 20, ChannelKind.wecom: 20, ChannelKind.feishu: 100, ChannelKind.webhook: 600,
}
# Feishu also allows at most 5 a second per robot (chat-protocols §4.2). No margin needed: a send is logged when
# its answer came (budget.settle), never earlier than the vendor saw it, and the next is reserved after that.
PER_SECOND_BUDGET: dict[ChannelKind, int] = {ChannelKind.feishu: 5}
DEFAULT_MONTHLY_QUOTA: dict[ChannelKind, int | None] = {
    ChannelKind.dingtalk: 3000, ChannelKind.wecom: None, ChannelKind.feishu: None, ChannelKind.webhook: None,
}
QUOTA_DIGEST_SHARE = 0.8  # at 80% of the monthly quota, green/yellow go to the daily digest
DAILY_DIGEST_AT = time(9, 0)  # Asia/Shanghai: the start of the working day
DIGESTIBLE_URGENCIES: frozenset[str] = frozenset({Urgency.green, Urgency.yellow})


def priority(urgency: str) -> int:
    try:
        return URGENCY_RANK[Urgency(urgency)]
    except ValueError:
        return 0


def subscribes(events: Collection[str], min_urgency: str, event_type: str, urgency: str) -> bool:
    if event_type not in NOTIFIABLE_EVENTS or event_type not in events:
        return False
    return priority(urgency) >= priority(min_urgency)


def month_key(now: datetime) -> str:
    """The quota month: DingTalk counts natural months in China time."""
    return now.astimezone(SHANGHAI).strftime("%Y-%m")


def month_sends(stored_key: str | None, stored_sends: int, now: datetime) -> int:
    return stored_sends if stored_key == month_key(now) else 0


def quota_reached(sends: int, quota: int | None) -> bool:
    return quota is not None and quota > 0 and sends >= quota * QUOTA_DIGEST_SHARE


def holds_for_digest(events: Collection[str], quota_mode: bool, urgency: str) -> bool:
    """Low-urgency events wait for the daily digest when the channel asks for it or saves quota."""
    return urgency in DIGESTIBLE_URGENCIES and (quota_mode or DIGEST_EVENT in events)


def next_daily_digest(now: datetime) -> datetime:
    """The next 09:00 Asia/Shanghai strictly after `now`, in UTC-aware form."""
    local = now.astimezone(SHANGHAI)
    candidate = datetime.combine(local.date(), DAILY_DIGEST_AT, tzinfo=SHANGHAI)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)


def _mask(value: str) -> str:
    return value[:4] + "****" + value[-4:] if len(value) > 12 else "****"


def mask_url(url: str) -> str:
    """The URL without its credentials: query values and a Feishu hook id are masked.

    The robot URL is itself a secret (anyone holding access_token/key can post to the group).
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "****"
    path = parsed.path
    if "/hook/" in path:
        head, _, hook = path.rpartition("/")
        path = f"{head}/{_mask(hook)}"
    query = "&".join(f"{k}={_mask(v)}" for k, v in parsed.params.multi_items())
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{path}" + (f"?{query}" if query else "")
