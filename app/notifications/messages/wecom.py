"""WeCom group robot payloads: an event as markdown, or as text when it must @ the liaison (mentioned_list by WeCom
userid); a digest page as markdown without mentions. Contents are cut to WeCom's byte limits. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.notifications.messages.common import (
    WECOM_MARKDOWN_MAX,
    WECOM_TEXT_MAX,
    MessageContext,
    digest_heading,
    digest_line,
    event_heading,
    fields,
    fit_note,
    keyword_prefix,
    mention_id,
    note_text,
)


def event(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    heading, rows, userid = event_heading(ctx), fields(ctx, internal), mention_id(ctx, ctx.liaison_wecom_userid)
    if userid:
        # mentioned_list (by userid) needs msgtype text; never mentioned_mobile_list (a mobile is PII).
        def text(note: str) -> str:
            body = "\n".join(rows + ([f"说明：{note}"] if note else []) + [f"查看：{ctx.link}"])
            return f"{keyword_prefix(keyword, heading, body)}{heading}\n{body}"

        content = fit_note(text, note_text(ctx), WECOM_TEXT_MAX)
        return {"msgtype": "text", "text": {"content": content, "mentioned_list": [userid]}}

    colour = "warning" if ctx.urgency == "red" else "comment"
    rows[2] = f'紧急程度：<font color="{colour}">{rows[2].removeprefix("紧急程度：")}</font>'

    def markdown(note: str) -> str:
        body = "\n".join(f"> {r}" for r in rows + ([f"说明：{note}"] if note else []))
        return f"**{keyword_prefix(keyword, heading, body)}{heading}**\n{body}\n[查看详情]({ctx.link})"

    content = fit_note(markdown, note_text(ctx), WECOM_MARKDOWN_MAX)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def digest(chunk: Sequence[MessageContext], internal: bool, keyword: str | None, *, page: int, pages: int,
           total: int) -> dict[str, Any]:
    # A digest is a list to read, not a call to act: no mentions.
    heading = digest_heading(chunk, page=page, pages=pages, total=total)
    listing = "\n".join(f"> {digest_line(c, internal)}" for c in chunk)
    content = f"**{keyword_prefix(keyword, heading, listing)}{heading}**\n{listing}"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def fits(payload: dict[str, Any]) -> bool:
    """WeCom's own limit on markdown content, below the body size every vendor has."""
    return len(payload["markdown"]["content"].encode()) <= WECOM_MARKDOWN_MAX


def channel_test(text: str, unit_name: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}
