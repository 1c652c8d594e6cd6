"""Pure presentation rules of the appeal page: Chinese labels, deadline countdowns, and which of the
viewer's allowed actions the page offers (and with which form). No I/O; the clock and calendar are passed in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from app.appeals.lifecycle import RESOLUTION_CODES, TRANSITIONS, Action
from app.core.time import SHANGHAI
from app.enums import Status
from app.sla.calendar import WorkingCalendar, local_date
from app.sla.policy import working_days_left

# The liaison's actions, in the order the page shows them. Everything else (改派, 督办, 结案 …) is an admin's
# desk job done through the API; the page links nothing it cannot do.
PAGE_ACTIONS: tuple[Action, ...] = (
    Action.sign, Action.progress, Action.request_info, Action.resolve, Action.extend, Action.escalate,
    Action.return_,
)
BUTTON_LABELS = MappingProxyType({
    Action.sign: "签收", Action.progress: "进展", Action.request_info: "要求补充", Action.resolve: "办结",
    Action.extend: "延期", Action.escalate: "提级", Action.return_: "退回",
})
# Fields each form may send, as ActionIn names; anything else in a posted form is ignored.
FORM_FIELDS = MappingProxyType({
    Action.sign: (), Action.progress: ("note", "public"), Action.request_info: ("note",),
    Action.resolve: ("resolution_code", "public_reply"), Action.extend: ("days", "reason", "decision"),
    Action.escalate: ("reason",), Action.return_: ("reason", "target_unit_code"),
})
SUCCESS_TEXT = MappingProxyType({
    Action.sign: "已签收", Action.progress: "进展已记录", Action.request_info: "已通知企业补充材料",
    Action.resolve: "已办结，等待企业评价", Action.extend: "延期已提交", Action.escalate: "已提级",
    Action.return_: "已退回",
})
EVENT_LABELS = MappingProxyType({
    "submitted": "受理", "signed": "签收", "progress": "进展", "info_requested": "要求补充", "supplemented": "企业补充",
    "resolved": "办结", "returned": "退回", "rerouted": "改派", "escalated": "提级", "delegated": "下派",
    "cohandled": "加派", "extension_requested": "申请延期", "extension_approved": "同意延期",
    "extension_denied": "不同意延期", "urged": "催办", "supervised": "督办", "rated": "评价", "reopened": "重办",
    "closed": "结案", "rejected": "不予受理", "withdrawn": "撤回", "merged": "合并", "merge_received": "合并",
    "recolored": "调色", "reminder": "提醒", "overdue": "超期",
})
COUNTDOWN_STATUSES = frozenset({Status.submitted, Status.in_progress, Status.returned})
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class PageAction:
    action: Action
    label: str
    form: str  # which form the template renders: the action's own, or "extend_request" / "extend_decide"


def page_actions(
    allowed: Sequence[str], *, member: bool, extension_pending: bool, can_escalate: bool
) -> list[PageAction]:
    """The page's offer: the workflow's allowed actions (workflow.allowed_actions), limited to PAGE_ACTIONS.

    Two refinements, both about forms that could only fail: 提级 is not offered at the top of the ladder, and
    延期 is a request form for the owning unit (unless one is already pending) and an approve/deny form for an
    admin above (only while one is pending).
    """
    offered = []
    for action in PAGE_ACTIONS:
        if action.value not in allowed:
            continue
        if action is Action.escalate and not can_escalate:
            continue
        form = action.value
        if action is Action.extend:
            if member and extension_pending or not member and not extension_pending:
                continue
            form = "extend_request" if member else "extend_decide"
        label = BUTTON_LABELS[action] if form != "extend_decide" else "审批延期"
        offered.append(PageAction(action, label, form))
    return offered


def action_label(action: Action) -> str:
    return BUTTON_LABELS.get(action) or TRANSITIONS[action].label


def format_local(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(SHANGHAI)
    return f"{local:%Y-%m-%d %H:%M}（周{WEEKDAYS[local.weekday()]}）"


def format_short(value: datetime) -> str:
    return f"{value.astimezone(SHANGHAI):%m-%d %H:%M}"


@dataclass(frozen=True)
class Countdown:
    text: str
    tone: str  # "ok" | "soon" | "late" | "paused" | "done"


def countdown(now: datetime, deadline: datetime, calendar: WorkingCalendar, *, paused: bool = False) -> Countdown:
    """"剩余 3 个工作日", "剩余 5 小时", "今日到期", "已超期 2 个工作日" — in working days, as the programme counts."""
    if paused:
        return Countdown("暂停计时（待企业补充）", "paused")
    if now > deadline:
        late = calendar.working_days_between(local_date(deadline), local_date(now))
        return Countdown(f"已超期 {late} 个工作日" if late else "已超期", "late")
    if deadline - now < timedelta(hours=24):
        hours = math.ceil((deadline - now).total_seconds() / 3600)
        return Countdown(f"剩余 {hours} 小时", "soon")
    left = working_days_left(now, deadline, calendar)
    if left == 0:
        return Countdown("今日到期", "soon")
    return Countdown(f"剩余 {left} 个工作日", "soon" if left <= 1 else "ok")


@dataclass(frozen=True)
class DeadlineRow:
    label: str
    at: str
    countdown: Countdown | None
    note: str | None = None


def deadline_rows(
    *,
    status: Status,
    now: datetime,
    calendar: WorkingCalendar,
    respond_by: datetime | None,
    plan_by: datetime | None,
    feedback_by: datetime | None,
    resolve_by: datetime | None,
    original_resolve_by: datetime | None,
    resolved_at: datetime | None,
) -> list[DeadlineRow]:
    running = status in COUNTDOWN_STATUSES
    paused = status is Status.pending_info

    def row(label: str, at: datetime | None, *, clock: bool = True, note: str | None = None) -> DeadlineRow | None:
        if at is None:
            return None
        shown = countdown(now, at, calendar, paused=paused) if clock and (running or paused) else None
        return DeadlineRow(label, format_local(at), shown, note)

    rows = [
        row("签收期限", respond_by, clock=status is Status.submitted) if status is Status.submitted else None,
        row("方案期限", plan_by),
        row("反馈期限", feedback_by),
        row("办结期限", resolve_by, note=(f"原期限 {format_local(original_resolve_by)}"
                                        if original_resolve_by and resolve_by and original_resolve_by != resolve_by
                                        else None)),
    ]
    if resolved_at is not None and status in (Status.resolved, Status.closed):
        on_time = resolve_by is None or resolved_at <= (original_resolve_by or resolve_by)
        rows.append(DeadlineRow("办结时间", format_local(resolved_at),
                                Countdown("按期办结" if on_time else "超期办结", "done" if on_time else "late")))
    return [r for r in rows if r is not None]


def impact_lines(*, production_halted: bool, safety_risk: bool, wage_arrears: bool,
                 employees_affected: int | None, amount_cny: int | None, hard_deadline: object) -> list[str]:
    lines = []
    if production_halted:
        lines.append("停产停工")
    if safety_risk:
        lines.append("存在安全隐患")
    if wage_arrears:
        lines.append("涉及欠薪")
    if employees_affected:
        lines.append(f"影响职工 {employees_affected} 人")
    if amount_cny:
        lines.append(f"涉及金额 {amount_cny / 10_000:,.0f} 万元" if amount_cny >= 10_000 else f"涉及金额 {amount_cny} 元")
    if hard_deadline:
        lines.append(f"企业硬性截止 {hard_deadline}")
    return lines


RESOLUTION_CHOICES: tuple[str, ...] = RESOLUTION_CODES
