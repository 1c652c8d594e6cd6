"""What DingTalk must do for a timeline event, and the texts it shows (pure: no session, no clock, no I/O).

Facts behind the shapes (docs/dingtalk.md §2, §4, §5): the vendor silently drops the same work-notice content
to the same user twice a day, so every notice names the appeal, the step and the moment of the step; a notice
is at most 2048 bytes; card parameters are strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from app.core.time import SHANGHAI
from app.enums import STATUS_LABELS, Status
from app.notifications.messages import EVENT_TITLES, format_deadline, scrub, urgency_text

MAX_NOTICE_BYTES = 2048
DIGEST_AT = time(9, 0)  # China time: the over-budget digest goes out at the start of the next working day
DIGEST_LINES = 15
REVISIT_HEADING = "回头看提醒"


class OpKind(StrEnum):
    notice = "notice"
    todo_create = "todo_create"
    todo_done = "todo_done"
    card_create = "card_create"
    card_update = "card_update"


class OpStatus(StrEnum):
    pending = "pending"
    held = "held"  # over the user's daily budget: waits for the digest
    sent = "sent"
    digested = "digested"
    dead = "dead"
    cancelled = "cancelled"


# An appeal arrives at a unit (to sign there); the alias table of app.notifications.rules says the same.
ARRIVALS = frozenset({"submitted", "rerouted", "delegated", "escalated"})
# The liaisons are told again (reminders, overdue, red appeals).
NUDGES = frozenset({"reminder", "overdue", "urged", "supervised", "reopened"})
# The appeal moved on: every open to-do of it is done.
MOVED_ON = frozenset({"signed", "returned", "resolved", "closed", "rejected", "withdrawn", "merged", "rated"})
EXTENSION_DECIDED = frozenset({"extension_approved", "extension_denied"})


@dataclass(frozen=True)
class Plan:
    notify: bool = False  # a work notice to the people expected to act
    sign_todo: bool = False  # a 签收 to-do for the owning unit's liaisons (and a card in its group)
    extension_todo: bool = False  # a 延期审批 to-do for the admins above the owner
    close_todos: bool = False  # every open to-do of the appeal is done
    close_extension_todos: bool = False
    card_status: bool = False  # the appeal's cards show the new status


def plan_for(event_type: str, *, status: str, urgency: str, data: dict[str, Any]) -> Plan:
    if event_type in ARRIVALS and status == Status.submitted:
        return Plan(notify=True, sign_todo=True, close_todos=True, card_status=event_type != "submitted")
    if event_type in NUDGES:
        return Plan(notify=True)
    if event_type == "recolored":
        return Plan(notify=data.get("to") == "red" and urgency == "red")
    if event_type == "extension_requested":
        return Plan(extension_todo=True)
    if event_type in EXTENSION_DECIDED:
        return Plan(close_extension_todos=True)
    if event_type in MOVED_ON:
        return Plan(close_todos=True, card_status=True)
    return Plan()


@dataclass(frozen=True)
class AppealFacts:
    number: str
    category_title: str  # scrubbed title for staff (work notices are private to the person)
    unit_name: str
    urgency: str
    status: str
    deadline: datetime | None
    link: str


def notice(facts: AppealFacts, event_type: str, *, at: datetime, note: str | None) -> dict[str, Any]:
    """A work-notice `msg` (markdown), unique per appeal, step and moment, within 2048 bytes."""
    heading = EVENT_TITLES.get(event_type, "诉求通知")
    lines = [
        f"### {urgency_text(facts.urgency)} {heading}",
        f"- 编号：{facts.number}",
        f"- 事项：{scrub(facts.category_title)[:60]}",
        f"- 承办：{scrub(facts.unit_name)[:30]}",
        f"- 状态：{status_label(facts.status)}",
        f"- 期限：{format_deadline(facts.deadline)}",
        f"- 时间：{format_deadline(at)}",  # the step's moment: a second reminder the same day is new content
    ]
    if note:
        lines.append(f"- 说明：{scrub(note)[:200]}")
    lines.append(f"[打开诉求]({facts.link})")
    msg = {"msgtype": "markdown", "markdown": {"title": f"{heading} {facts.number}", "text": "\n".join(lines)}}
    while _size(msg) > MAX_NOTICE_BYTES and len(lines) > 3:
        lines.pop(-2)  # drop detail lines, keep the heading and the link
        msg["markdown"]["text"] = "\n".join(lines)
    return msg


def revisit_notice(*, visit_id: int, enterprise_name: str, visited_on: date, revisit_on: date, mode_label: str,
                   street_name: str, link: str | None) -> dict[str, Any]:
    """The visitor's 回头看 notice: the enterprise, the visit (its record number and day) and the day due — unique
    per visit, so two revisits due the same day are two deliveries, not one dropped as the same content."""
    lines = [
        f"### {REVISIT_HEADING}",
        f"- 企业：{scrub(enterprise_name)[:40]}",
        f"- 走访：{visited_on.isoformat()}（{scrub(mode_label)[:10]}），记录 {visit_id} 号",
        f"- 回头看日期：{revisit_on.isoformat()}",
        f"- 属地街道：{scrub(street_name)[:30]}",
        "请回访企业，了解上次走访所提问题的办理情况。",
    ]
    if link:
        lines.append(f"[打开我的企业]({link})")
    return _markdown(f"{REVISIT_HEADING} {scrub(enterprise_name)[:20]}", lines)


def policy_notice(*, push_id: int, title: str, issuer: str, count: int, apply_by: date | None, url: str | None,
                  pushed_at: datetime) -> dict[str, Any]:
    """A paired liaison's digest of one push: how many of their enterprises, which policy, when — unique per push
    (a re-push that reaches new enterprises the same day is new content)."""
    name = scrub(title)[:60]
    lines = [
        "### 结对企业政策提醒",
        f"- 政策：《{name}》",
        f"- 您结对的 {count} 家企业适用此政策，已推送至企业端，请及时指导申报",
        f"- 发布单位：{scrub(issuer)[:30]}",
    ]
    if apply_by is not None:
        lines.append(f"- 申报截止：{apply_by.isoformat()}")
    lines.append(f"- 推送：{format_deadline(pushed_at)}（第 {push_id} 次推送）")
    if url and url.startswith("https://"):
        lines.append(f"[查看政策原文]({url})")
    return _markdown(f"政策提醒《{name[:20]}》{count} 家", lines)


def _markdown(title: str, lines: list[str]) -> dict[str, Any]:
    msg = {"msgtype": "markdown", "markdown": {"title": title, "text": "\n".join(lines)}}
    while _size(msg) > MAX_NOTICE_BYTES and len(lines) > 3:
        lines.pop(-2)
        msg["markdown"]["text"] = "\n".join(lines)
    return msg


def digest(items: list[dict[str, Any]], *, day_label: str) -> dict[str, Any]:
    """One notice for the held ones of a user: their titles, most recent last, within 2048 bytes."""
    titles = [str(i.get("markdown", {}).get("title") or i.get("text", {}).get("content", ""))[:60] for i in items]
    shown = titles[-DIGEST_LINES:]
    lines = [f"### 诉求提醒汇总（{day_label}）", f"超出当日推送上限后汇总的 {len(items)} 条提醒："]
    lines += [f"- {t}" for t in shown]
    if len(titles) > len(shown):
        lines.append(f"- 另有 {len(titles) - len(shown)} 条，请在系统中查看")
    msg = {"msgtype": "markdown", "markdown": {"title": f"诉求提醒汇总 {len(items)} 条", "text": "\n".join(lines)}}
    while _size(msg) > MAX_NOTICE_BYTES and len(lines) > 3:
        lines.pop(2)
        msg["markdown"]["text"] = "\n".join(lines)
    return msg


def todo(facts: AppealFacts, step: str) -> dict[str, Any]:
    verb = "审批延期申请" if step.startswith("extension") else "签收诉求"
    return {
        "subject": f"{verb} {facts.number}"[:100],
        "description": f"{scrub(facts.category_title)[:80]}（{scrub(facts.unit_name)[:30]}）",
        "due_ms": int(facts.deadline.timestamp() * 1000) if facts.deadline else None,
        "url": facts.link,
    }


def card_params(facts: AppealFacts, *, appeal_id: int, status_text: str | None = None) -> dict[str, str]:
    """The card's public data; the 签收 button's params in the template refer to `appeal_id` and `number`."""
    return {
        "appeal_id": str(appeal_id),
        "number": facts.number,
        "title": scrub(facts.category_title)[:60],
        "unit": scrub(facts.unit_name)[:30],
        "urgency": urgency_text(facts.urgency),
        "deadline": format_deadline(facts.deadline),
        "status": status_label(facts.status),
        "status_code": facts.status,
        "status_text": status_text or "待签收",
    }


def status_text(event_type: str, status: str, actor_name: str | None) -> str:
    if event_type == "signed" and actor_name:
        return f"已由 {scrub(actor_name)[:20]} 签收"
    return status_label(status)


def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except (ValueError, KeyError):
        return scrub(status)


def china_day(now: datetime) -> Any:
    return now.astimezone(SHANGHAI).date()


def next_digest_at(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    candidate = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=SHANGHAI)
    return candidate.astimezone(now.tzinfo)


def _size(msg: dict[str, Any]) -> int:
    return len(json.dumps(msg, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
