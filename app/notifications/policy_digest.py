"""Policy push digests (DESIGN §12): one message per street group and one per paired liaison for each push —
never one robot message per enterprise — written to the outbox in the push's own transaction.

A push reaching 10,000 enterprises in 40 streets paired with 300 liaisons writes ~340 rows, each within the
channel's budget and counted against its monthly quota by the dispatcher like any other row. The rows carry no
`context`, so the coalescer leaves them whole: they are digests already.

Street digest: to every channel of the enterprise's street ("本街道 N 家企业适用《…》"). Liaison digest ("您结对的
N 家企业适用《…》"): to the channels of the liaison's own unit, @ the liaison by DingTalk userid — unless the
liaison hears of the push in their own channel: when DingTalk work notices (工作通知, DESIGN §14) are configured,
app.dingtalk adds its check to `PERSONAL_CHANNELS` at start, and a liaison it reaches gets the work notice only (the
group keeps its one street digest, with no @ of them): each liaison hears of a push once. Thin and PII-free: a
count, the title, the issuer and a public link; no names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.auth.models import User
from app.core import events
from app.notifications import rules
from app.notifications.messages import scrub
from app.notifications.models import Channel, OutboxMessage
from app.notifications.outbox import new_message_id
from app.policies.events import PolicyPushed

EVENT_TYPE = "policy_digest"
_USERID = re.compile(r"[0-9A-Za-z_$:.\-]{1,64}")
_MOBILE_LIKE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")

# Checks of "this user gets the push's digest in their own channel" (app.dingtalk's work notices), added at start.
PERSONAL_CHANNELS: list[Callable[[User], bool]] = []


def add_personal_channel(reaches: Callable[[User], bool]) -> None:
    if reaches not in PERSONAL_CHANNELS:
        PERSONAL_CHANNELS.append(reaches)


def _told_personally(user: User) -> bool:
    return any(reaches(user) for reaches in PERSONAL_CHANNELS)


def register() -> None:
    events.subscribe(PolicyPushed, on_policy_pushed)


def _kw(keyword: str | None, text: str) -> str:
    # A keyword robot rejects a message without one of its keywords.
    return "" if not keyword or keyword in text else f"【{keyword}】"


def render(kind: str, *, heading: str, lines: list[str], link: str | None, keyword: str | None,
           userid: str | None) -> dict[str, Any]:
    body = "\n".join(f"- {line}" for line in lines)
    if kind == rules.ChannelKind.dingtalk:
        text = f"#### {_kw(keyword, heading + body)}{heading}\n{body}"
        if link:
            text += f"\n\n[查看政策原文]({link})"
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": heading, "text": text}}
        if userid:
            payload["markdown"]["text"] += f"\n\n@{userid}"
            payload["at"] = {"atUserIds": [userid], "isAtAll": False}
        return payload
    if kind == rules.ChannelKind.wecom:
        content = f"**{_kw(keyword, heading + body)}{heading}**\n{body}" + (f"\n[查看政策原文]({link})" if link else "")
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind == rules.ChannelKind.feishu:
        rows: list[list[dict[str, str]]] = [[{"tag": "text", "text": line}] for line in lines]
        if link:
            rows.append([{"tag": "a", "text": "查看政策原文", "href": link}])
        prefix = _kw(keyword, heading + body)
        return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": prefix + heading, "content": rows}}}}
    return {"type": "policy.digest", "data": {"heading": heading, "lines": lines, "link": link}}


def _userid(user: User) -> str | None:
    uid = (user.dingtalk_userid or "").strip()
    return uid if user.active and _USERID.fullmatch(uid) and not _MOBILE_LIKE.fullmatch(uid) else None


def _lines(event: PolicyPushed, count_line: str) -> list[str]:
    lines = [count_line, f"发布单位：{scrub(event.issuer_unit_name)}"]
    if event.apply_by is not None:
        lines.append(f"申报截止：{event.apply_by}")
    return lines


def _add(session: Session, channel: Channel, payload: dict[str, Any], dedupe: str, now: datetime) -> None:
    session.add(OutboxMessage(
        id=new_message_id(), channel_id=channel.id, appeal_id=None, event_type=EVENT_TYPE,  # type: ignore[arg-type]
        # SQL NULL, not JSON null: the coalescer folds only rows with a context, and these are digests already.
        urgency="green", priority=0, payload=payload, context=sa.null(), dedupe_key=dedupe,
        status=rules.OutboxStatus.pending, digest_hold=False, next_attempt_at=now, created_at=now))


def _channels_of(session: Session, unit_ids: set[int]) -> dict[int, list[Channel]]:
    found: dict[int, list[Channel]] = {}
    if unit_ids:
        for channel in session.exec(select(Channel).where(col(Channel.unit_id).in_(unit_ids))
                                    .order_by(col(Channel.id))).all():
            found.setdefault(channel.unit_id, []).append(channel)
    return found


def on_policy_pushed(session: Session, event: PolicyPushed) -> None:
    """Writes the digests of one push. Never commits (it runs in the push's transaction)."""
    now = event.at
    assert now is not None
    title = scrub(event.title)[:60]
    link = event.url if event.url and event.url.startswith("https://") else None
    streets = _channels_of(session, set(event.by_street))
    for unit_id, count in sorted(event.by_street.items()):
        heading = f"政策推送：《{title}》"
        for channel in streets.get(unit_id, []):
            payload = render(channel.kind, heading=heading, link=link, keyword=channel.keyword, userid=None,
                             lines=_lines(event, f"本街道 {count} 家企业适用此政策，已推送至企业端"))
            _add(session, channel, payload, f"policy_push:{event.push_id}:street:{channel.id}", now)
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(set(event.by_liaison)))).all()}
    by_unit = _channels_of(session, {u.unit_id for u in users.values()})
    for user_id, count in sorted(event.by_liaison.items()):
        user = users.get(user_id)
        if user is None or _told_personally(user):
            continue
        for channel in by_unit.get(user.unit_id, []):
            userid = _userid(user) if channel.kind == rules.ChannelKind.dingtalk else None
            payload = render(channel.kind, heading=f"结对企业政策提醒：《{title}》", link=link,
                             keyword=channel.keyword, userid=userid,
                             lines=_lines(event, f"{scrub(user.name)}：您结对的 {count} 家企业适用《{title}》，请及时指导申报"))
            _add(session, channel, payload, f"policy_push:{event.push_id}:liaison:{user_id}:{channel.id}", now)
