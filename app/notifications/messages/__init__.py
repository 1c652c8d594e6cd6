"""Chinese message payloads for chat groups and generic webhooks (pure renderers), one module per vendor
(dingtalk, wecom, feishu, webhook: each renders an event, a digest page and the test message) on what they share
(common). A new vendor is one module here and one entry in VENDORS.

Thin and PII-free (DESIGN §6): number, category, urgency, unit, deadline, link. The enterprise
name and the appeal title (free text that often names the enterprise) appear only on internal
channels. Free text is scrubbed of anything that looks like a mobile or an 18-character USCC/ID
number and defanged so it cannot inject markdown links or headings. No mobile is ever rendered, not
even for an @: red items @ the liaison by DingTalk userid (`atUserIds`; WeCom `mentioned_list`
with a WeCom userid), and a liaison without one is simply not @'d (DESIGN §6).

Payloads exclude msgUuid/timestamp/sign: the dispatcher adds those per attempt. Sizes are
measured as json.dumps(ensure_ascii=False).encode(), at least as large as what httpx 0.28's
`json=` sends (compact, non-ASCII kept) — send it that way, never with ensure_ascii=True.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

from app.enums import URGENCY_RANK, Urgency
from app.notifications.messages import dingtalk, feishu, webhook, wecom
from app.notifications.messages.common import (
    EVENT_TITLES,
    URGENCY_ICONS,
    MessageContext,
    aware,
    format_deadline,
    keyword_prefix,
    payload_size,
    scrub,
    urgency_text,
)

__all__ = [
    "EVENT_TITLES", "VENDORS", "MessageContext", "format_deadline", "payload_size", "render", "render_digest",
    "render_digest_indexed", "render_test", "scrub", "urgency_text",
]

VENDORS: dict[str, ModuleType] = {"dingtalk": dingtalk, "wecom": wecom, "feishu": feishu, "webhook": webhook}


def _vendor(kind: str) -> ModuleType:
    try:
        return VENDORS[kind]
    except KeyError:
        raise ValueError(f"unknown channel kind {kind!r}") from None


def render(kind: str, ctx: MessageContext, *, internal: bool, keyword: str | None) -> dict[str, Any]:
    """One event's payload for a channel of `kind` (dingtalk|wecom|feishu|webhook)."""
    return _vendor(kind).event(ctx, internal, keyword)  # type: ignore[no-any-return]


def render_test(kind: str, *, unit_name: str, keyword: str | None) -> dict[str, Any]:
    """The payload of the "send a test message" button on a channel."""
    vendor = _vendor(kind)
    text = f"助企通知渠道测试：{scrub(unit_name)} 的群通知已连通。"
    return vendor.channel_test(keyword_prefix(keyword, text) + text, unit_name)  # type: ignore[no-any-return]


# --- digests -------------------------------------------------------------------------------
_PAGE_PLACEHOLDER = 99_999  # chunks are sized with the widest page label, then relabelled


def _sort_key(ctx: MessageContext) -> tuple[int, int, float, str]:
    rank = URGENCY_RANK[Urgency(ctx.urgency)] if ctx.urgency in URGENCY_ICONS else -1
    due = aware(ctx.deadline).timestamp() if ctx.deadline else 0.0
    return (-rank, ctx.deadline is None, due, ctx.number)  # red first, soonest first, none last


def render_digest(
    kind: str,
    items: Sequence[MessageContext],
    *,
    internal: bool,
    keyword: str | None,
    max_bytes: int = 18_000,
) -> list[dict[str, Any]]:
    """Coalesce many events into as few payloads as fit: red first, then by deadline.

    Every payload is < max_bytes (DingTalk rejects bodies over ~20,000 bytes with 460101; the
    margin covers msgUuid). No item is ever dropped: one that cannot fit alone raises ValueError.
    """
    pages = render_digest_indexed(kind, items, internal=internal, keyword=keyword, max_bytes=max_bytes)
    return [payload for payload, _ in pages]


def render_digest_indexed(
    kind: str,
    items: Sequence[MessageContext],
    *,
    internal: bool,
    keyword: str | None,
    max_bytes: int = 18_000,
) -> list[tuple[dict[str, Any], list[int]]]:
    """render_digest, also telling which items (indices into `items`) each payload carries."""
    if not items:
        return []
    vendor = _vendor(kind)
    order = sorted(range(len(items)), key=lambda i: _sort_key(items[i]))
    ordered, total = [items[i] for i in order], len(items)

    def fits(chunk: Sequence[MessageContext]) -> bool:
        p = vendor.digest(chunk, internal, keyword, page=_PAGE_PLACEHOLDER, pages=_PAGE_PLACEHOLDER, total=total)
        if vendor is wecom and not wecom.fits(p):
            return False
        return payload_size(p) < max_bytes

    chunks: list[Sequence[MessageContext]] = []
    while (start := sum(len(c) for c in chunks)) < total:
        if not fits(ordered[start : start + 1]):
            raise ValueError(f"digest item {ordered[start].number} alone exceeds {max_bytes} bytes")
        # Size grows with each item, so binary-search the largest chunk that fits:
        # O(log n) renders per chunk rather than one per item.
        lo, hi = 1, total - start
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if fits(ordered[start : start + mid]) else (lo, mid - 1)
        chunks.append(ordered[start : start + lo])
    result, start = [], 0
    for page, chunk in enumerate(chunks, 1):
        payload = vendor.digest(chunk, internal, keyword, page=page, pages=len(chunks), total=total)
        result.append((payload, order[start : start + len(chunk)]))
        start += len(chunk)
    return result
