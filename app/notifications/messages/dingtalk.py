"""DingTalk group robot payloads: an event as an actionCard (签收 button) or markdown (when it must @ the liaison),
a digest page as markdown. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.notifications.messages.common import (
    CARD_EVENTS,
    DINGTALK_AT_MAX,
    MessageContext,
    digest_heading,
    digest_line,
    event_heading,
    fields,
    keyword_prefix,
    mention_id,
    note_text,
    scrub,
    sign_link,
)


def _mention(ctx: MessageContext) -> str | None:
    return mention_id(ctx, ctx.liaison_userid)


def event(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    heading, rows, userid = event_heading(ctx), fields(ctx, internal), _mention(ctx)
    if note := note_text(ctx):
        rows.append(f"说明：{note}")
    listing = "\n".join(f"- {r}" for r in rows)
    text = f"#### {keyword_prefix(keyword, heading, listing)}{heading}\n{listing}"
    title = f"{heading} {scrub(ctx.number)}"
    if ctx.event_type in CARD_EVENTS and userid is None:
        btns = [
            {"title": "查看", "actionURL": ctx.link},
            {"title": "签收", "actionURL": sign_link(ctx.link)},
        ]
        card = {"title": title, "text": text, "btnOrientation": "1", "btns": btns}
        return {"msgtype": "actionCard", "actionCard": card}
    # actionCard cannot @ anyone, so a red item that must @ its liaison goes out as markdown
    # with the 签收 link inline: the mention matters more than the button.
    text += f"\n\n[查看详情]({ctx.link})"
    if ctx.event_type in CARD_EVENTS:
        text += f"　[签收]({sign_link(ctx.link)})"
    payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if userid:
        payload["markdown"]["text"] += f"\n\n@{userid}"  # DingTalk @s only ids also written in the text
        payload["at"] = {"atUserIds": [userid], "isAtAll": False}
    return payload


def digest(chunk: Sequence[MessageContext], internal: bool, keyword: str | None, *, page: int, pages: int,
           total: int) -> dict[str, Any]:
    heading = digest_heading(chunk, page=page, pages=pages, total=total)
    listing = "\n".join(f"- {digest_line(c, internal)}" for c in chunk)
    text = f"#### {keyword_prefix(keyword, heading, listing)}{heading}\n{listing}"
    payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": heading, "text": text}}
    userids = list(dict.fromkeys(m for c in chunk if (m := _mention(c))))[:DINGTALK_AT_MAX]
    if userids:
        payload["markdown"]["text"] += "\n\n" + " ".join(f"@{m}" for m in userids)
        payload["at"] = {"atUserIds": userids, "isAtAll": False}
    return payload


def channel_test(text: str, unit_name: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}
