"""What every vendor's message shares: the event's context, the Chinese labels and field rows, and the scrubbing
that keeps PII and markup out of a group (see app.notifications.messages for the rules). Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.time import SHANGHAI
from app.enums import CATEGORY_LABELS, STATUS_LABELS, TIER_LABELS, URGENCY_LABELS, Category, Status, Tier, Urgency


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


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[: max(limit - 3, 0)].decode("utf-8", "ignore") + "…"


def label(table: dict[Any, str], enum: Callable[[str], Any], code: str) -> str:
    try:
        return table[enum(code)]
    except ValueError:
        return scrub(code)


def urgency_text(code: str) -> str:
    return URGENCY_ICONS.get(code, "") + label(URGENCY_LABELS, Urgency, code)


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_deadline(deadline: datetime | None) -> str:
    return "—" if deadline is None else aware(deadline).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def keyword_prefix(keyword: str | None, *texts: str) -> str:
    # A keyword robot rejects a message without one of its keywords (310000 / 19024).
    return "" if not keyword or any(keyword in t for t in texts) else f"【{keyword}】"


def mention_id(ctx: MessageContext, userid: str | None) -> str | None:
    """The id to @ for a red item, or None. An id that is a mobile number (some orgs use mobiles as
    userids) is not used: it would put the mobile in the group's text."""
    uid = (userid or "").strip()
    if ctx.urgency != "red" or not _USERID.fullmatch(uid) or _VALID_MOBILE.fullmatch(uid):
        return None
    return uid


def event_heading(ctx: MessageContext) -> str:
    return EVENT_TITLES.get(ctx.event_type, "诉求通知")


def note_text(ctx: MessageContext) -> str:
    return clip(scrub(ctx.note), NOTE_MAX_CHARS) if ctx.note else ""


def fields(ctx: MessageContext, internal: bool) -> list[str]:
    reasons = clip("；".join(scrub(r) for r in ctx.urgency_reasons), 80)
    unit = clip(scrub(ctx.unit_name), NAME_MAX_CHARS)
    rows = [
        f"编号：{scrub(ctx.number)}",
        f"类别：{label(CATEGORY_LABELS, Category, ctx.category)}",
        f"紧急程度：{urgency_text(ctx.urgency)}" + (f"（{reasons}）" if reasons else ""),
        f"承办单位：{unit}（{label(TIER_LABELS, Tier, ctx.tier)}）",
        f"状态：{label(STATUS_LABELS, Status, ctx.status)}",
        f"截止时间：{format_deadline(ctx.deadline)}",
    ]
    if internal and ctx.enterprise_name:
        rows.append(f"企业：{clip(scrub(ctx.enterprise_name), NAME_MAX_CHARS)}")
    if internal and ctx.title:
        rows.append(f"标题：{clip(scrub(ctx.title), 80)}")
    return rows


def sign_link(link: str) -> str:
    return link + ("&" if "?" in link else "?") + "action=sign"



def fit_note(build: Callable[[str], str], note: str, limit: int) -> str:
    """Cut the note (never the number or link) until the content fits `limit` bytes."""
    if len(build(note).encode()) <= limit:
        return build(note)
    return build(clip_bytes(note, limit - len(build("").encode())))


def payload_size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def digest_line_tail(ctx: MessageContext, internal: bool) -> str:
    """A digest line after the number: category, unit, deadline, what happened (and the enterprise, internally)."""
    category = label(CATEGORY_LABELS, Category, ctx.category)
    unit = clip(scrub(ctx.unit_name), NAME_MAX_CHARS)
    parts = [category, unit, f"截止 {format_deadline(ctx.deadline)}", event_heading(ctx)]
    if internal and ctx.enterprise_name:
        parts.append(clip(scrub(ctx.enterprise_name), NAME_MAX_CHARS))
    return "｜".join(parts)


def digest_line(ctx: MessageContext, internal: bool) -> str:
    return f"{urgency_text(ctx.urgency)} [{scrub(ctx.number)}]({ctx.link}) {digest_line_tail(ctx, internal)}"


def digest_heading(chunk: Sequence[MessageContext], *, page: int, pages: int, total: int) -> str:
    return f"诉求汇总（第{page}/{pages}页，本页{len(chunk)}件，共{total}件）"
