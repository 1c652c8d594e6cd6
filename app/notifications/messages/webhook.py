"""Generic webhook payloads: the event's fields as JSON with a stable schema (`appeal.<event>`, `appeal.digest`,
`appeal.test`). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.notifications.messages.common import MessageContext, aware, note_text, scrub


def _data(ctx: MessageContext, internal: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": ctx.number,
        "title": scrub(ctx.title) if internal else None,  # stays present: a stable schema
        "category": ctx.category,
        "urgency": ctx.urgency,
        "urgency_reasons": [scrub(r) for r in ctx.urgency_reasons],
        "unit_name": scrub(ctx.unit_name),
        "tier": ctx.tier,
        "status": ctx.status,
        "deadline": None if ctx.deadline is None else aware(ctx.deadline).isoformat(),
        "link": ctx.link,
        "note": note_text(ctx) or None,
    }
    if internal:
        data["enterprise_name"] = scrub(ctx.enterprise_name) if ctx.enterprise_name else None
    return data


def event(ctx: MessageContext, internal: bool, keyword: str | None) -> dict[str, Any]:
    return {"type": f"appeal.{ctx.event_type}", "data": _data(ctx, internal)}


def digest(chunk: Sequence[MessageContext], internal: bool, keyword: str | None, *, page: int, pages: int,
           total: int) -> dict[str, Any]:
    items = [{"event_type": c.event_type, **_data(c, internal)} for c in chunk]
    return {"type": "appeal.digest", "data": {"page": page, "pages": pages, "total": total, "items": items}}


def channel_test(text: str, unit_name: str) -> dict[str, Any]:
    return {"type": "appeal.test", "data": {"unit_name": scrub(unit_name), "message": text}}
