"""Chinese replies of the liaison chatbot (pure: values in, reply payloads out; no session, no clock).

DingTalk markdown (chat-protocols §1.3): a heading, then short lines. The @ of the sender needs both
`at.atUserIds` and `@userId` in the text. Free text (titles, notes) goes through `messages.scrub`, so a reply never
shows a mobile or a USCC and user text cannot inject links or headings. The enterprise name appears only in
one-to-one chats with the robot (DESIGN §6: names only where the audience is internal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.appeals.lifecycle import TRANSITIONS, Action
from app.appeals.todo import TodoCounts
from app.chatbot.commands import help_text
from app.chatbot.schemas import At, CardCallbackReply, CardParams, MarkdownBody, RobotReply
from app.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from app.notifications.messages import format_deadline, scrub, urgency_text

TITLE_MAX = 40
NOTE_MAX = 200

# The chatbot word for each workflow action a liaison can take from DingTalk.
COMMAND_WORDS: dict[Action, str] = {
    Action.sign: "签收", Action.progress: "进展", Action.request_info: "补充", Action.resolve: "办结",
    Action.return_: "退回", Action.escalate: "提级", Action.extend: "延期",
}
_COMMAND_ARGS: dict[Action, str] = {
    Action.sign: "", Action.progress: " <进展内容>", Action.request_info: " <需要补充的内容>",
    Action.resolve: " <答复内容>", Action.return_: " <原因>", Action.escalate: " <原因>", Action.extend: " <天数> <原因>",
}


@dataclass(frozen=True)
class AppealBrief:
    """What a reply shows of an appeal."""

    number: str
    title: str
    status: str
    urgency: str
    sla_state: str
    category: str
    unit_name: str
    deadline_label: str  # 签收期限 while waiting to be signed for, else 办结期限
    deadline: datetime | None
    urgency_reasons: tuple[str, ...] = ()
    enterprise_name: str | None = None  # set only for one-to-one chats
    public_reply: str | None = None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _free(text: str | None, limit: int = NOTE_MAX) -> str:
    return _clip(scrub(text), limit) if text else ""


def _status(code: str) -> str:
    try:
        return STATUS_LABELS[Status(code)]
    except ValueError:
        return scrub(code)


def _category(code: str) -> str:
    try:
        return CATEGORY_LABELS[Category(code)]
    except ValueError:
        return scrub(code)


def action_label(action: str) -> str:
    try:
        return TRANSITIONS[Action(action)].label
    except ValueError:
        return scrub(action)


def markdown(title: str, heading: str, lines: Sequence[str], sender: str | None) -> RobotReply:
    mention = f" @{sender}" if sender else ""
    # DingTalk joins consecutive lines unless they end with two spaces (a markdown hard break).
    body = "\n".join(line if not line.strip() or line.endswith("  ") else line + "  " for line in lines)
    text = f"#### {heading}{mention}" + (f"\n\n{body}" if body else "")
    return RobotReply(msgtype="markdown", markdown=MarkdownBody(title=_clip(title, 60), text=text),
                      at=At(at_user_ids=[sender]) if sender else None)


def empty() -> RobotReply:
    return RobotReply(msgtype="empty")


def _paragraphs(message: str) -> list[str]:
    """Multi-line plain text → markdown lines that keep their breaks in DingTalk."""
    return [scrub(line) for line in message.split("\n") if line.strip()]


# --- replies to who is asking -------------------------------------------------------------------------------

def unregistered(staff_id: str | None, nick: str | None) -> RobotReply:
    who = _free(nick, 20) or "您好"
    if not staff_id:
        lines = [f"{who}，您不是本组织的成员（外部联系人），无法通过助企机器人办理诉求。",
                 "如需反映企业诉求，请通过“助企”小程序提交。"]
    else:
        lines = [f"{who}，您的钉钉账号尚未登记为助企服务专员或管理员。",
                 f"请联系本单位管理员，将您的钉钉 userId `{_free(staff_id, 64)}` 登记到您的用户信息中"
                 "（管理员接口 `PATCH /api/v1/users/{id}`，字段 `dingtalk_userid`），登记后即可使用。"]
    return markdown("账号未登记", "🙋 账号未登记", lines, None)


def non_text(msgtype: str | None, sender: str | None) -> RobotReply:
    kind = _free(msgtype, 20) or "未知类型"
    return markdown("暂只支持文字指令", "暂只支持文字指令",
                    [f"收到的是「{kind}」消息。请 @我 并输入文字指令，发送「帮助」查看用法。"], sender)


def help_reply(sender: str | None, prefix: str = "ZQ") -> RobotReply:
    return markdown("助企机器人指令", "助企机器人", [help_text(prefix)], sender)


def parse_error(message: str, sender: str | None) -> RobotReply:
    return markdown("指令有误", "🤔 没看懂这条指令", _paragraphs(message), sender)


def processing(sender: str | None) -> RobotReply:
    return markdown("正在处理", "⏳ 正在处理，请稍候", ["这条消息正在处理中，请勿重复发送。"], sender)


def already_handled(sender: str | None) -> RobotReply:
    return markdown("已处理", "该指令已执行", [
        "这条消息已处理过，但当时的回复未能送达。请发送「查询 <诉求编号>」查看最新状态。"], sender)


# --- appeals ------------------------------------------------------------------------------------------------

def _overdue_mark(appeal: AppealBrief) -> str:
    return " ⚠️已超期" if appeal.sla_state == "overdue" else " ⏰即将到期" if appeal.sla_state == "due_soon" else ""


def _facts(appeal: AppealBrief) -> list[str]:
    lines = [
        f"- 标题：{_free(appeal.title, TITLE_MAX)}",
        f"- 状态：{_status(appeal.status)}　承办：{_free(appeal.unit_name, 30)}",
        f"- 紧急程度：{urgency_text(appeal.urgency)}　类别：{_category(appeal.category)}",
        f"- {appeal.deadline_label}：{format_deadline(appeal.deadline)}{_overdue_mark(appeal)}",
    ]
    if appeal.enterprise_name:
        lines.insert(1, f"- 企业：{_free(appeal.enterprise_name, 40)}")
    return lines


def todo(unit_name: str, counts: TodoCounts, items: Sequence[AppealBrief], sender: str | None) -> RobotReply:
    unit = _free(unit_name, 30)
    if counts.total == 0:
        return markdown("待办", f"📋 {unit}暂无待办诉求", ["👍 本单位目前没有待签收或办理中的诉求。"], sender)
    summary = (f"共 **{counts.total}** 件：🔴红 {counts.red} · 🟡黄 {counts.yellow} · 🟢绿 {counts.green}"
               f"　超期 **{counts.overdue}**")
    lines = [summary, ""]
    for index, a in enumerate(items, start=1):
        lines.append(
            f"{index}. {urgency_text(a.urgency)} **{a.number}** {_status(a.status)}｜{_category(a.category)}｜"
            f"{a.deadline_label} {format_deadline(a.deadline)}{_overdue_mark(a)}  \n"
            f"{_free(a.title, TITLE_MAX)}"
        )
    if counts.total > len(items):
        lines += ["", f"仅显示最紧急的 {len(items)} 件，其余 {counts.total - len(items)} 件请在系统中查看。"]
    lines += ["", "发送「查询 <诉求编号>」看详情，「签收 <诉求编号>」签收。"]
    return markdown(f"待办 {counts.total} 件", f"📋 {unit}待办", lines, sender)


def _hints(number: str, allowed: Sequence[str]) -> list[str]:
    hints = []
    for code in allowed:
        try:
            action = Action(code)
        except ValueError:
            continue
        if action in COMMAND_WORDS:
            hints.append(f"`{COMMAND_WORDS[action]} {number}{_COMMAND_ARGS[action]}`")
    return hints


def detail(appeal: AppealBrief, allowed: Sequence[str], sender: str | None) -> RobotReply:
    lines = _facts(appeal)
    if appeal.urgency_reasons:
        lines.append(f"- 赋码理由：{_free('；'.join(appeal.urgency_reasons), 80)}")
    if appeal.public_reply:
        lines.append(f"- 答复：{_free(appeal.public_reply)}")
    hints = _hints(appeal.number, allowed)
    labels = "、".join(action_label(a) for a in allowed)
    lines += ["", f"您现在可以：{labels}" if labels else "您当前没有可执行的操作。"]
    if hints:
        lines += ["", "可发送：" + "　".join(hints)]
    return markdown(f"诉求 {appeal.number}", f"🔎 诉求 {appeal.number}", lines, sender)


def action_done(action: Action, appeal: AppealBrief, sender: str | None, *, text: str | None = None,
                days: int | None = None, resolution_code: str | None = None) -> RobotReply:
    n = appeal.number
    heading, lines = {
        Action.sign: (f"✅ 已签收 {n}", [f"请在办结期限前办理。办理中可发送「进展 {n} <内容>」，完成后发送「办结 {n} <答复>」。"]),
        Action.progress: (f"📝 已记录进展 {n}", [f"进展（对企业公开）：{_free(text)}"]),
        Action.request_info: (f"📨 已请企业补充 {n}", [f"需要补充：{_free(text)}", "企业补充前，办理时限暂停计算。"]),
        Action.resolve: (f"✅ 已办结 {n}", [f"办结类型：{resolution_code or '已解决'}", f"答复：{_free(text)}",
                                           "等待企业评价；企业不满意将重新办理。"]),
        Action.return_: (f"↩️ 已退回 {n}", [f"退回原因：{_free(text)}", "等待上级单位改派。"]),
        Action.escalate: (f"⬆️ 已提级 {n}", [f"提级原因：{_free(text)}",
                                             f"现由{_free(appeal.unit_name, 30)}承办，等待签收。"]),
        Action.extend: (f"⏳ 已申请延期 {n}", [f"申请延期 {days} 个工作日：{_free(text)}", "等待上级单位审批。"]),
    }[action]
    return markdown(heading.split(" ", 1)[1], heading, [*lines, "", *_facts(appeal)], sender)


def not_found(number: str, sender: str | None) -> RobotReply:
    return markdown("未找到诉求", "❓ 未找到诉求", [
        f"未找到诉求 {number}，或该诉求不属于您的单位。",
        "请核对编号，或发送「待办」查看本单位的诉求。"], sender)


def not_yours(number: str, owner_name: str, action: Action, sender: str | None) -> RobotReply:
    return markdown("无权办理", "⛔ 该诉求不属于您的单位", [
        f"诉求 {number} 目前由{_free(owner_name, 30)}承办，您无权「{TRANSITIONS[action].label}」。",
        "如确属本单位办理，请联系上级单位改派。"], sender)


def invalid_transition(number: str, status: str | None, action: Action, allowed: Sequence[str],
                       sender: str | None) -> RobotReply:
    labels = "、".join(action_label(a) for a in allowed)
    lines = [f"诉求 {number} 当前状态为「{_status(status or '')}」，不能「{TRANSITIONS[action].label}」。",
             f"您现在可以：{labels}" if labels else "您当前没有可执行的操作。"]
    hints = _hints(number, allowed)
    if hints:
        lines += ["", "可发送：" + "　".join(hints)]
    return markdown("当前状态不允许此操作", "🚫 当前状态不允许此操作", lines, sender)


def refusal_text(number: str, action: Action, *, kind: str, status: str | None = None, owner_name: str = "",
                 message: str = "") -> str:
    """One plain line for places without markdown (interactive cards)."""
    if kind == "transition":
        return f"诉求 {number} 当前状态为「{_status(status or '')}」，不能「{TRANSITIONS[action].label}」"
    if kind == "forbidden":
        return f"该诉求不属于您的单位（目前由{_free(owner_name, 30)}承办）"
    if kind == "not_found":
        return f"未找到诉求 {number}，或该诉求不属于您的单位"
    return _free(message, 300)


def rejected(number: str | None, message: str, sender: str | None) -> RobotReply:
    """Validation errors and conflicts the workflow explains in Chinese (已有待审批的延期申请, …)."""
    head = f"诉求 {number}：" if number else ""
    return markdown("未能办理", "⚠️ 未能办理", [f"{head}{_free(message, 300)}"], sender)


# --- interactive cards --------------------------------------------------------------------------------------

def card(appeal: AppealBrief | None, message: str, action: str, *, handler: str | None = None,
         updated_at: datetime | None = None) -> CardCallbackReply:
    """Shared status for everyone who sees the card; the outcome message only for the person who clicked."""
    shared = None
    if appeal is not None:
        params = {
            "status": _status(appeal.status),
            "status_code": appeal.status,
            "number": appeal.number,
            "unit": _free(appeal.unit_name, 30),
            "urgency": urgency_text(appeal.urgency),
            "deadline": format_deadline(appeal.deadline),
        }
        if handler:
            params["handler"] = _free(handler, 40)
        if updated_at is not None:
            params["updated_at"] = format_deadline(updated_at)
        shared = CardParams(card_param_map=params)
    private = CardParams(card_param_map={"message": _free(message, 300), "myAction": scrub(action)[:20]})
    return CardCallbackReply(card_data=shared, user_private_data=private)
