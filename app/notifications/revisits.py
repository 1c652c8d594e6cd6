"""回头看 reminders (DESIGN §11): hears `RevisitDue` and writes one outbox row per group — the enterprise's street
group and the visitor's own unit's group — in the worker's transaction. The visitor is @'d by DingTalk userid
where the group is DingTalk (never by mobile). As every group message: no mobile, no USCC; the enterprise's name
only on internal channels (DESIGN §6). Channels that take reminders (`reminder` in their events) get it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import User
from app.core import events
from app.enterprises.models import Enterprise
from app.enums import VISIT_MODE_LABELS, VisitMode
from app.notifications import messages
from app.notifications.models import Channel, OutboxMessage
from app.notifications.outbox import new_message_id
from app.notifications.rules import EventType, OutboxStatus
from app.units.models import Unit
from app.visits.revisits import RevisitDue

EVENT_TYPE = "revisit"
HEADING = "回头看提醒"
_USERID = re.compile(r"[0-9A-Za-z_$:.\-]{1,64}")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def _lines(event: RevisitDue, enterprise: Enterprise | None, visitor: User | None, street: Unit | None,
           internal: bool) -> list[str]:
    try:
        mode = VISIT_MODE_LABELS[VisitMode(event.mode)]
    except ValueError:
        mode = messages.scrub(event.mode)
    rows = [f"走访日期：{event.visited_on.isoformat()}（{mode}）", f"回头看日期：{event.revisit_on.isoformat()}",
            f"属地街道：{messages.scrub(street.name) if street else ''}",
            f"走访人：{messages.scrub(visitor.name) if visitor else ''}"]
    if internal and enterprise is not None:
        rows.insert(0, f"企业：{messages.scrub(enterprise.name)[:40]}")
    rows.append("请回访企业，了解上次走访所提问题的办理情况。")
    return rows


def _keyword(keyword: str | None, text: str) -> str:
    return f"【{keyword}】" if keyword and keyword not in text else ""


def render(kind: str, rows: list[str], *, keyword: str | None, at_userid: str | None,
           data: dict[str, Any]) -> dict[str, Any]:
    body = "\n".join(rows)
    prefix = _keyword(keyword, HEADING + body)
    if kind == "dingtalk":
        text = f"#### {prefix}{HEADING}\n" + "\n".join(f"- {r}" for r in rows)
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": HEADING, "text": text}}
        if at_userid:
            payload["markdown"]["text"] += f"\n\n@{at_userid}"
            payload["at"] = {"atUserIds": [at_userid], "isAtAll": False}
        return payload
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{prefix}{HEADING}**\n"
                                                               + "\n".join(f"> {r}" for r in rows)}}
    if kind == "feishu":
        content = [[{"tag": "text", "text": r}] for r in rows]
        return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": prefix + HEADING, "content": content}}}}
    if kind == "webhook":
        return {"type": "visit.revisit", "data": data}
    raise ValueError(f"unknown channel kind {kind!r}")


def _at(visitor: User | None) -> str | None:
    uid = (visitor.dingtalk_userid or "").strip() if visitor and visitor.active else ""
    return uid if _USERID.fullmatch(uid) and not _MOBILE.fullmatch(uid) else None


def on_revisit_due(session: Session, event: RevisitDue) -> None:
    """Adds the reminder's outbox rows; never commits. The dedupe key makes a second row for a visit impossible."""
    unit_ids = {event.street_unit_id, event.visitor_unit_id}
    channels = session.exec(select(Channel).where(col(Channel.unit_id).in_(unit_ids)).order_by(col(Channel.id))).all()
    channels = [c for c in channels if EventType.reminder in c.events]
    if not channels:
        return
    enterprise = session.get(Enterprise, event.enterprise_id)
    visitor = session.get(User, event.visitor_user_id)
    street = session.get(Unit, event.street_unit_id)
    data = {"visit_id": event.visit_id, "visited_on": event.visited_on.isoformat(),
            "revisit_on": event.revisit_on.isoformat(), "mode": event.mode,
            "street_name": street.name if street else None}
    for channel in channels:
        rows = _lines(event, enterprise, visitor, street, channel.internal)
        session.add(OutboxMessage(
            id=new_message_id(), channel_id=channel.id,  # type: ignore[arg-type]
            appeal_id=None, event_type=EVENT_TYPE, urgency="yellow", priority=1,
            payload=render(channel.kind, rows, keyword=channel.keyword, at_userid=_at(visitor), data=data),
            context=None,  # not an appeal event: never folded into an appeal digest
            dedupe_key=f"revisit:{event.visit_id}:{channel.id}", status=OutboxStatus.pending,
            digest_hold=False, next_attempt_at=event.now, created_at=event.now,
        ))


def register() -> None:
    events.subscribe(RevisitDue, on_revisit_due)
