"""Feishu (Lark) group robot payloads: a rich-text post for an event and for a digest page. Feishu @ needs an
open_id, which we do not hold, so urgency is in the text instead. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from app.notifications.messages.common import (
    MessageContext,
    digest_heading,
    digest_line_tail,
    event_heading,
    fields,
    keyword_prefix,
    note_text,
    scrub,
    urgency_text,
)


def _text(text: str) -> dict[str, str]:
    return {"tag": "text", "text": text}


def _post(title: str, rows: list[list[dict[str, str]]], keyword: str | None) -> dict[str, Any]:
    # Where Feishu looks for keywords is undocumented [INF]: put it in the title and first row.
    prefix = keyword_prefix(keyword, title, json.dumps(rows, ensure_ascii=False))
    if prefix and rows and rows[0] and rows[0][0]["tag"] == "text":
        rows[0][0] = {**rows[0][0], "text": prefix + rows[0][0]["text"]}
    post = {"zh_cn": {"title": prefix + title, "content": rows}}
    return {"msg_type": "post", "content": {"post": post}}


def event(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    rows = [[_text(r)] for r in fields(ctx, internal)]
    if note := note_text(ctx):
        rows.append([_text(f"说明：{note}")])
    rows.append([{"tag": "a", "text": "查看详情", "href": ctx.link}])
    return _post(event_heading(ctx), rows, keyword)


def digest(chunk: Sequence[MessageContext], internal: bool, keyword: str | None, *, page: int, pages: int,
           total: int) -> dict[str, Any]:
    heading = digest_heading(chunk, page=page, pages=pages, total=total)
    rows = [
        [_text(f"{urgency_text(c.urgency)} "), {"tag": "a", "text": scrub(c.number), "href": c.link}]
        + [_text(" " + digest_line_tail(c, internal))]
        for c in chunk
    ]
    return _post(heading, rows, keyword)


def channel_test(text: str, unit_name: str) -> dict[str, Any]:
    return {"msg_type": "text", "content": {"text": text}}
