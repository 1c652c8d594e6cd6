"""Chinese message payloads for chat groups and generic webhooks (pure renderers).

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

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.time import SHANGHAI
from app.enums import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    URGENCY_LABELS,
    URGENCY_RANK,
    Category,
    Status,
    Tier,
    Urgency,
)



@dataclass(frozen=True)
class MessageContext:
    event_type: str
    number: str
    title: str
    category: str  # code, e.g. "funding"
    urgency: str  # red|yellow|green
    unit_name: str
    tier: str
    status: str
    deadline: datetime | None  # aware; naive is taken as UTC (storage is UTC, DESIGN §8)
    link: str
    enterprise_name: str | None = None
    liaison_userid: str | None = None  # DingTalk userid of the liaison, for the @ of a red item
    liaison_wecom_userid: str | None = None  # WeCom userid (another namespace: never the DingTalk one)
    note: str | None = None
    urgency_reasons: tuple[str, ...] = ()


EVENT_TITLES: dict[str, str] = {
    "submitted": "新诉求待签收",
    "signed": "诉求已签收",
    "progress": "诉求办理进展",
    "info_requested": "诉求待企业补充",
    "resolved": "诉求已办结",
    "returned": "诉求被退回",
    "escalated": "诉求已提级",
    "reminder": "诉求催办提醒",
    "overdue": "诉求已超期",
    "supervised": "诉求列入督办",
    "reopened": "诉求重办",
    "rated": "企业已评价",
    "closed": "诉求已结案",
    "digest": "诉求汇总",
    "test": "测试消息",
}
URGENCY_ICONS = {"red": "🔴", "yellow": "🟡", "green": "🟢"}
CARD_EVENTS = frozenset({"submitted", "escalated"})  # the liaison must act: offer a 签收 button
WECOM_MARKDOWN_MAX = 4096  # bytes of markdown.content (chat-protocols §4.1)
WECOM_TEXT_MAX = 2048  # bytes of text.content
NOTE_MAX_CHARS = 300
NAME_MAX_CHARS = 40
DINGTALK_AT_MAX = 50  # DingTalk @s at most 50 people per message

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{11,}")  # mobiles without separators, ID/bank numbers
_CODE = re.compile(r"[0-9A-Za-z]{15,}")  # USCC (18), ID card (15/18): masked if it has a digit
_VALID_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
_USERID = re.compile(r"[0-9A-Za-z_$:.\-]{1,64}")  # app.auth.schemas.DingTalkUserId
_DEFANG = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "`": "'", "|": "｜", "#": "＃"})


def scrub(text: str) -> str:
    """Defang markdown/HTML, mask mobiles, long numbers and USCC/ID codes; flatten to one line."""
    text = text.translate(_DEFANG)
    text = _MOBILE.sub("[手机号已隐藏]", text)
    text = _CODE.sub(lambda m: "[编码已隐藏]" if any(c.isdigit() for c in m[0]) else m[0], text)
    text = _LONG_DIGITS.sub("[号码已隐藏]", text)
    return " ".join(text.split())  # a newline would let free text start a heading or quote


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[: max(limit - 3, 0)].decode("utf-8", "ignore") + "…"


def _label(table: dict[Any, str], enum: Callable[[str], Any], code: str) -> str:
    try:
        return table[enum(code)]
    except ValueError:
        return scrub(code)


def urgency_text(code: str) -> str:
    return URGENCY_ICONS.get(code, "") + _label(URGENCY_LABELS, Urgency, code)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_deadline(deadline: datetime | None) -> str:
    return "—" if deadline is None else _aware(deadline).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _kw(keyword: str | None, *texts: str) -> str:
    # A keyword robot rejects a message without one of its keywords (310000 / 19024).
    return "" if not keyword or any(keyword in t for t in texts) else f"【{keyword}】"


def _userid(ctx: MessageContext, userid: str | None) -> str | None:
    """The id to @ for a red item, or None. An id that is a mobile number (some orgs use mobiles as
    userids) is not used: it would put the mobile in the group's text."""
    uid = (userid or "").strip()
    if ctx.urgency != "red" or not _USERID.fullmatch(uid) or _VALID_MOBILE.fullmatch(uid):
        return None
    return uid


def _mention(ctx: MessageContext) -> str | None:
    return _userid(ctx, ctx.liaison_userid)


def _heading(ctx: MessageContext) -> str:
    return EVENT_TITLES.get(ctx.event_type, "诉求通知")


def _note(ctx: MessageContext) -> str:
    return _clip(scrub(ctx.note), NOTE_MAX_CHARS) if ctx.note else ""


def _fields(ctx: MessageContext, internal: bool) -> list[str]:
    reasons = _clip("；".join(scrub(r) for r in ctx.urgency_reasons), 80)
    unit = _clip(scrub(ctx.unit_name), NAME_MAX_CHARS)
    rows = [
        f"编号：{scrub(ctx.number)}",
        f"类别：{_label(CATEGORY_LABELS, Category, ctx.category)}",
        f"紧急程度：{urgency_text(ctx.urgency)}" + (f"（{reasons}）" if reasons else ""),
        f"承办单位：{unit}（{_label(TIER_LABELS, Tier, ctx.tier)}）",
        f"状态：{_label(STATUS_LABELS, Status, ctx.status)}",
        f"截止时间：{format_deadline(ctx.deadline)}",
    ]
    if internal and ctx.enterprise_name:
        rows.append(f"企业：{_clip(scrub(ctx.enterprise_name), NAME_MAX_CHARS)}")
    if internal and ctx.title:
        rows.append(f"标题：{_clip(scrub(ctx.title), 80)}")
    return rows


def _sign_link(link: str) -> str:
    return link + ("&" if "?" in link else "?") + "action=sign"


def _dingtalk(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    heading, rows, userid = _heading(ctx), _fields(ctx, internal), _mention(ctx)
    if note := _note(ctx):
        rows.append(f"说明：{note}")
    listing = "\n".join(f"- {r}" for r in rows)
    text = f"#### {_kw(keyword, heading, listing)}{heading}\n{listing}"
    title = f"{heading} {scrub(ctx.number)}"
    if ctx.event_type in CARD_EVENTS and userid is None:
        btns = [
            {"title": "查看", "actionURL": ctx.link},
            {"title": "签收", "actionURL": _sign_link(ctx.link)},
        ]
        card = {"title": title, "text": text, "btnOrientation": "1", "btns": btns}
        return {"msgtype": "actionCard", "actionCard": card}
    # actionCard cannot @ anyone, so a red item that must @ its liaison goes out as markdown
    # with the 签收 link inline: the mention matters more than the button.
    text += f"\n\n[查看详情]({ctx.link})"
    if ctx.event_type in CARD_EVENTS:
        text += f"　[签收]({_sign_link(ctx.link)})"
    payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if userid:
        payload["markdown"]["text"] += f"\n\n@{userid}"  # DingTalk @s only ids also written in the text
        payload["at"] = {"atUserIds": [userid], "isAtAll": False}
    return payload


def _fit_note(build: Callable[[str], str], note: str, limit: int) -> str:
    """Cut the note (never the number or link) until the content fits `limit` bytes."""
    if len(build(note).encode()) <= limit:
        return build(note)
    return build(_clip_bytes(note, limit - len(build("").encode())))


def _wecom(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    heading, rows, userid = _heading(ctx), _fields(ctx, internal), _userid(ctx, ctx.liaison_wecom_userid)
    if userid:
        # mentioned_list (by userid) needs msgtype text; never mentioned_mobile_list (a mobile is PII).
        def text(note: str) -> str:
            body = "\n".join(rows + ([f"说明：{note}"] if note else []) + [f"查看：{ctx.link}"])
            return f"{_kw(keyword, heading, body)}{heading}\n{body}"

        content = _fit_note(text, _note(ctx), WECOM_TEXT_MAX)
        return {"msgtype": "text", "text": {"content": content, "mentioned_list": [userid]}}

    colour = "warning" if ctx.urgency == "red" else "comment"
    rows[2] = f'紧急程度：<font color="{colour}">{rows[2].removeprefix("紧急程度：")}</font>'

    def markdown(note: str) -> str:
        body = "\n".join(f"> {r}" for r in rows + ([f"说明：{note}"] if note else []))
        return f"**{_kw(keyword, heading, body)}{heading}**\n{body}\n[查看详情]({ctx.link})"

    content = _fit_note(markdown, _note(ctx), WECOM_MARKDOWN_MAX)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _text(text: str) -> dict[str, str]:
    return {"tag": "text", "text": text}


def _feishu_post(title: str, rows: list[list[dict[str, str]]], keyword: str | None) -> dict[str, Any]:
    # Where Feishu looks for keywords is undocumented [INF]: put it in the title and first row.
    prefix = _kw(keyword, title, json.dumps(rows, ensure_ascii=False))
    if prefix and rows and rows[0] and rows[0][0]["tag"] == "text":
        rows[0][0] = {**rows[0][0], "text": prefix + rows[0][0]["text"]}
    post = {"zh_cn": {"title": prefix + title, "content": rows}}
    return {"msg_type": "post", "content": {"post": post}}


def _feishu(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    # Feishu @ needs an open_id, which we do not hold; urgency is in the text instead.
    rows = [[_text(r)] for r in _fields(ctx, internal)]
    if note := _note(ctx):
        rows.append([_text(f"说明：{note}")])
    rows.append([{"tag": "a", "text": "查看详情", "href": ctx.link}])
    return _feishu_post(_heading(ctx), rows, keyword)


def _webhook_data(ctx: MessageContext, internal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": ctx.number,
        "title": scrub(ctx.title) if internal else None,  # stays present: a stable schema
        "category": ctx.category,
        "urgency": ctx.urgency,
        "urgency_reasons": [scrub(r) for r in ctx.urgency_reasons],
        "unit_name": scrub(ctx.unit_name),
        "tier": ctx.tier,
        "status": ctx.status,
        "deadline": None if ctx.deadline is None else _aware(ctx.deadline).isoformat(),
        "link": ctx.link,
        "note": _note(ctx) or None,
    }
    if internal:
        data["enterprise_name"] = scrub(ctx.enterprise_name) if ctx.enterprise_name else None
    return data


def render(kind: str, ctx: MessageContext, *, internal: bool, keyword: str | None) -> dict[str, Any]:
    """One event's payload for a channel of `kind` (dingtalk|wecom|feishu|webhook)."""
    if kind == "dingtalk":
        return _dingtalk(ctx, internal, keyword)
    if kind == "wecom":
        return _wecom(ctx, internal, keyword)
    if kind == "feishu":
        return _feishu(ctx, internal, keyword)
    if kind == "webhook":
        return {"type": f"appeal.{ctx.event_type}", "data": _webhook_data(ctx, internal)}
    raise ValueError(f"unknown channel kind {kind!r}")


def render_test(kind: str, *, unit_name: str, keyword: str | None) -> dict[str, Any]:
    """The payload of the "send a test message" button on a channel."""
    text = f"助企通知渠道测试：{scrub(unit_name)} 的群通知已连通。"
    text = _kw(keyword, text) + text
    if kind in ("dingtalk", "wecom"):
        return {"msgtype": "text", "text": {"content": text}}
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    if kind == "webhook":
        return {"type": "appeal.test", "data": {"unit_name": scrub(unit_name), "message": text}}
    raise ValueError(f"unknown channel kind {kind!r}")


# --- digests -------------------------------------------------------------------------------
_PAGE_PLACEHOLDER = 99_999  # chunks are sized with the widest page label, then relabelled


def _sort_key(ctx: MessageContext) -> tuple[int, int, float, str]:
    rank = URGENCY_RANK[Urgency(ctx.urgency)] if ctx.urgency in URGENCY_ICONS else -1
    due = _aware(ctx.deadline).timestamp() if ctx.deadline else 0.0
    return (-rank, ctx.deadline is None, due, ctx.number)  # red first, soonest first, none last


def _line_tail(ctx: MessageContext, internal: bool) -> str:
    category = _label(CATEGORY_LABELS, Category, ctx.category)
    unit = _clip(scrub(ctx.unit_name), NAME_MAX_CHARS)
    parts = [category, unit, f"截止 {format_deadline(ctx.deadline)}", _heading(ctx)]
    if internal and ctx.enterprise_name:
        parts.append(_clip(scrub(ctx.enterprise_name), NAME_MAX_CHARS))
    return "｜".join(parts)


def _line(ctx: MessageContext, internal: bool) -> str:
    return f"{urgency_text(ctx.urgency)} [{scrub(ctx.number)}]({ctx.link}) {_line_tail(ctx, internal)}"


def _digest_payload(
    kind: str,
    chunk: Sequence[MessageContext],
    page: int,
    pages: int,
    total: int,
    internal: bool,
    kw: str | None,
) -> dict[str, Any]:
    heading = f"诉求汇总（第{page}/{pages}页，本页{len(chunk)}件，共{total}件）"
    if kind == "dingtalk":
        listing = "\n".join(f"- {_line(c, internal)}" for c in chunk)
        text = f"#### {_kw(kw, heading, listing)}{heading}\n{listing}"
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": heading, "text": text}}
        userids = list(dict.fromkeys(m for c in chunk if (m := _mention(c))))[:DINGTALK_AT_MAX]
        if userids:
            payload["markdown"]["text"] += "\n\n" + " ".join(f"@{m}" for m in userids)
            payload["at"] = {"atUserIds": userids, "isAtAll": False}
        return payload
    if kind == "wecom":  # a digest is a list to read, not a call to act: no mentions
        listing = "\n".join(f"> {_line(c, internal)}" for c in chunk)
        content = f"**{_kw(kw, heading, listing)}{heading}**\n{listing}"
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind == "feishu":
        rows = [
            [_text(f"{urgency_text(c.urgency)} "), {"tag": "a", "text": scrub(c.number), "href": c.link}]
            + [_text(" " + _line_tail(c, internal))]
            for c in chunk
        ]
        return _feishu_post(heading, rows, kw)
    if kind == "webhook":
        items = [{"event_type": c.event_type, **_webhook_data(c, internal)} for c in chunk]
        data = {"page": page, "pages": pages, "total": total, "items": items}
        return {"type": "appeal.digest", "data": data}
    raise ValueError(f"unknown channel kind {kind!r}")


def payload_size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


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
    order = sorted(range(len(items)), key=lambda i: _sort_key(items[i]))
    ordered, total = [items[i] for i in order], len(items)

    def fits(chunk: Sequence[MessageContext]) -> bool:
        p = _digest_payload(kind, chunk, _PAGE_PLACEHOLDER, _PAGE_PLACEHOLDER, total, internal, keyword)
        if kind == "wecom" and len(p["markdown"]["content"].encode()) > WECOM_MARKDOWN_MAX:
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
        payload = _digest_payload(kind, chunk, page, len(chunks), total, internal, keyword)
        result.append((payload, order[start : start + len(chunk)]))
        start += len(chunk)
    return result
