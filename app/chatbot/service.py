"""The liaison chatbot: DingTalk robot messages and card clicks drive the same workflow as the API (DESIGN §7).

Robot callbacks (HTTP mode) are answered in the response body within DingTalk's 2 s window; nothing is sent to
`sessionWebhook` (a URL taken from the request is never called, so a forged one is harmless).

Redelivery (DingTalk retries after 2.5 s with the same msgId) is handled with the `chatbot_message` table:
- a command that changes an appeal inserts its row (status `processing`) and flushes it *before* the action, in
  the session that `workflow.perform_action` commits — the dedup row and the action commit together or not at
  all. A concurrent duplicate blocks on the unique msg_id, then finds the row; a crash before the commit leaves
  nothing, so DingTalk's retry runs the command once;
- the reply is stored right after (status `done`) and replayed verbatim for a redelivered msgId. A crash between
  the two commits leaves `processing`: a retry then answers "正在处理，请稍候" (young row) or "已执行，请查询"
  (older than PROCESSING_STALE_AFTER) and never runs the action again;
- read-only commands, refusals and errors store row and reply in one commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.appeals import numbering, todo, workflow
from app.appeals.access import visibility_clause
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn
from app.auth import service as auth
from app.auth.models import User
from app.auth.principal import Principal
from app.chatbot import commands, replies, visit_commands
from app.chatbot.commands import Command, ParseError, Verb
from app.chatbot.dedup import PROCESSING_STALE_AFTER  # noqa: F401  # its old home
from app.chatbot.dedup import dump as _dump
from app.chatbot.dedup import find as _find
from app.chatbot.dedup import finish as _finish
from app.chatbot.dedup import lost_race as _lost_race
from app.chatbot.dedup import new_row as _new_row
from app.chatbot.dedup import replay as _replay
from app.chatbot.models import MessageStatus
from app.chatbot.schemas import CardCallbackIn, CardCallbackReply, CardContent, RobotMessageIn, RobotReply
from app.core import metrics
from app.enterprises.models import Enterprise
from app.enums import STATUS_LABELS, Status
from app.errors import AppError, Forbidden, InvalidInput, InvalidTransition, NotFound
from app.notifications import alerts
from app.notifications.models import AdminAlert
from app.units.models import Unit

log = logging.getLogger("app.chatbot")

VIA = "chatbot"  # the timeline's `via` for everything done from DingTalk
TODO_LIMIT = 10
OVER_QUOTA_ERROR_CODE = "20001"
VERB_ACTIONS: dict[Verb, Action] = {
    Verb.sign: Action.sign, Verb.progress: Action.progress, Verb.request_info: Action.request_info,
    Verb.resolve: Action.resolve, Verb.return_: Action.return_, Verb.escalate: Action.escalate,
    Verb.extend: Action.extend,
}
DEFAULT_RESOLUTION_CODE = "已解决"


# --- robot messages -----------------------------------------------------------------------------------------

def handle_robot_message(session: Session, message: RobotMessageIn, *, now: datetime) -> RobotReply:
    if str(message.error_code or "") == OVER_QUOTA_ERROR_CODE:
        _over_quota(session, message, now=now)
        return replies.empty()
    if not message.msg_id:
        raise InvalidInput.field("body.msgId", "缺少 msgId")
    existing = _find(session, message.msg_id)
    if existing is not None:
        return _replay(session, existing, now=now)
    sender = message.sender_staff_id or ""
    at = sender or None
    content = message.text_content
    if (message.msgtype not in (None, "text")) or content is None:
        return _finish(session, message, replies.non_text(message.msgtype, at), now=now)
    principal = _principal_for(session, sender)
    if principal is None:
        return _finish(session, message, replies.unregistered(sender, message.sender_nick), now=now)
    command = commands.parse(content, number_prefix=numbering.PREFIX)
    if isinstance(command, ParseError):
        reply = replies.parse_error(command.message, at)
        return _finish(session, message, reply, now=now, user_id=principal.user_id, verb=command.verb)
    if command.verb is Verb.help:
        reply = replies.help_reply(at, numbering.PREFIX)
    elif command.verb is Verb.todo:
        reply = _todo(session, principal, at, private=message.is_private)
    elif command.verb is Verb.query:
        reply = _query(session, principal, command, at, private=message.is_private)
    elif command.verb is Verb.my_enterprises:
        reply = visit_commands.my_enterprises(session, principal, at, private=message.is_private, now=now)
    elif command.verb is Verb.visit:
        return visit_commands.record(session, message, principal, command, now=now)
    else:
        return _act(session, message, principal, command, now=now)
    return _finish(session, message, reply, now=now, user_id=principal.user_id, verb=command.verb)


def _over_quota(session: Session, message: RobotMessageIn, *, now: datetime) -> None:
    """DingTalk pauses the robot when the org's monthly quota is used up; the city admins must know at once.
    One open alert a day is enough: DingTalk sends such a callback for every message while paused."""
    log.warning("DingTalk robot over its message quota (errorCode 20001): %s — robot messages are paused until "
                "the quota resets or is raised", (message.error_message or "")[:200])
    metrics.inc("zhuqi_chatbot_over_quota_total", help_text="DingTalk robot over-quota callbacks (20001)")
    root = session.exec(select(Unit).where(col(Unit.parent_id).is_(None)).order_by(col(Unit.id))).first()
    if root is None:
        return
    recent = session.exec(select(AdminAlert.id).where(
        AdminAlert.kind == "robot_over_quota", col(AdminAlert.acknowledged_at).is_(None),
        col(AdminAlert.created_at) > now - timedelta(days=1))).first()
    if recent is None:
        alerts.add_alert(session, unit_id=root.id, kind="robot_over_quota", now=now,  # type: ignore[arg-type]
                         message="钉钉机器人本月消息额度已用尽（errorCode 20001），服务专员的指令暂时无法送达："
                         + (message.error_message or "")[:200])
        session.commit()


def _principal_for(session: Session, dingtalk_userid: str) -> Principal | None:
    """The API's Principal of the active staff user bound to this DingTalk userId."""
    if not dingtalk_userid:
        return None
    query = (select(User, Unit).join(Unit, col(Unit.id) == User.unit_id)
             .where(User.dingtalk_userid == dingtalk_userid, User.active == True))
    row = session.exec(query).first()
    # `row` keeps the unit referenced, so principal_for_user finds it in the identity map without a query.
    return auth.principal_for_user(session, row[0]) if row else None


def _visible(session: Session, principal: Principal, *, number: str | None = None,
             appeal_id: int | None = None) -> tuple[Appeal, Unit] | None:
    """The appeal (with its owner) if the user may see it — the API's reach rules, looked up by number."""
    query = (select(Appeal, Unit).join(Unit, col(Unit.id) == Appeal.unit_id)
             .where(visibility_clause(principal, auth.reach_unit_ids(session, principal))))
    query = query.where(Appeal.number == number) if number is not None else query.where(Appeal.id == appeal_id)
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def _brief(session: Session, appeal: Appeal, owner: Unit, *, private: bool) -> replies.AppealBrief:
    waiting = appeal.status == Status.submitted
    enterprise = session.get(Enterprise, appeal.enterprise_id) if private else None
    return replies.AppealBrief(
        number=appeal.number, title=appeal.title, status=appeal.status, urgency=appeal.urgency,
        sla_state=appeal.sla_state, category=appeal.category, unit_name=owner.name,
        deadline_label="签收期限" if waiting else "办结期限",
        deadline=appeal.respond_by if waiting else appeal.resolve_by,
        urgency_reasons=tuple(appeal.urgency_reasons), enterprise_name=enterprise.name if enterprise else None,
        public_reply=appeal.public_reply,
    )


def _todo(session: Session, principal: Principal, at: str | None, *, private: bool) -> RobotReply:
    """My unit's appeals to act on: most urgent first, then the nearest deadline; counts over all of them."""
    unit = session.get(Unit, principal.unit_id)
    assert unit is not None
    counts, rows = todo.unit_todo(session, unit.id, limit=TODO_LIMIT)  # type: ignore[arg-type]
    items = [_brief(session, a, unit, private=False) for a in rows]
    return replies.todo(unit.name, counts, items, at)


def _query(session: Session, principal: Principal, command: Command, at: str | None, *,
           private: bool) -> RobotReply:
    assert command.number is not None
    found = _visible(session, principal, number=command.number)
    if found is None:
        return replies.not_found(command.number, at)
    appeal, owner = found
    allowed = workflow.allowed_actions(session, principal, appeal, owner)
    return replies.detail(_brief(session, appeal, owner, private=private), allowed, at)


def _action_input(command: Command) -> ActionIn:
    match command.verb:
        case Verb.progress | Verb.request_info:
            return ActionIn(note=command.text)
        case Verb.resolve:
            return ActionIn(resolution_code=command.resolution_code or DEFAULT_RESOLUTION_CODE,
                            public_reply=command.text)
        case Verb.return_ | Verb.escalate:
            return ActionIn(reason=command.text)
        case Verb.extend:
            return ActionIn(days=command.days, reason=command.text)
    return ActionIn()  # sign: any words after the number are courtesy ("马上安排")


_FIELD_LABELS = {"note": "内容", "reason": "原因", "public_reply": "答复", "days": "延期天数",
                 "resolution_code": "办结类型"}


def _input_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    label = _FIELD_LABELS.get(str(err["loc"][0]) if err.get("loc") else "", "输入")
    ctx = err.get("ctx") or {}
    if err["type"] == "string_too_long":
        return f"{label}过长（最多 {ctx.get('max_length')} 字）"
    if err["type"] == "less_than_equal":
        return f"{label}不能超过 {ctx.get('le')}"
    return f"{label}有误：{str(err.get('msg', '')).removeprefix('Value error, ')}"


def _act(session: Session, message: RobotMessageIn, principal: Principal, command: Command, *,
         now: datetime) -> RobotReply:
    assert command.number is not None
    action, number, at = VERB_ACTIONS[command.verb], command.number, message.sender_staff_id or None
    user_id, verb, refused = principal.user_id, command.verb.value, f"{command.verb.value}_refused"[:20]
    try:
        data = _action_input(command)
    except ValidationError as exc:
        return _finish(session, message, replies.rejected(number, _input_problem(exc), at), now=now,
                       user_id=user_id, verb=refused)
    found = _visible(session, principal, number=number)
    if found is None:
        return _finish(session, message, replies.not_found(number, at), now=now, user_id=user_id, verb=refused)
    appeal_id, owner_name = found[0].id, found[1].name
    assert appeal_id is not None

    row = _new_row(message, now=now, user_id=user_id, verb=verb)
    session.add(row)
    try:
        session.flush()  # first write: a concurrent duplicate waits here for us, then finds our row
    except IntegrityError as exc:
        return _lost_race(session, message, exc, now=now)
    try:
        # Commits the dedup row together with the action and its timeline event (same session).
        appeal = workflow.perform_action(session, principal, appeal_id, action, data, now=now, via=VIA)
    except AppError as exc:
        session.rollback()  # neither the action nor the row: store the refusal instead
        reply = _refusal(exc, number, owner_name, action, at)
        return _finish(session, message, reply, now=now, user_id=user_id, verb=refused)
    owner = session.get(Unit, appeal.unit_id)
    assert owner is not None
    reply = replies.action_done(action, _brief(session, appeal, owner, private=message.is_private), at,
                                text=command.text, days=command.days,
                                resolution_code=data.resolution_code)
    row.status, row.reply, row.finished_at = MessageStatus.done, _dump(reply), now
    session.add(row)
    session.commit()
    metrics.inc("zhuqi_chatbot_messages_total", outcome=verb, help_text="Chatbot messages by outcome")
    return reply


def _refusal(exc: AppError, number: str, owner_name: str, action: Action, at: str | None) -> RobotReply:
    if isinstance(exc, InvalidTransition):
        return replies.invalid_transition(number, exc.extra.get("current_status"), action,
                                          exc.extra.get("allowed_actions") or [], at)
    if isinstance(exc, Forbidden):
        return replies.not_yours(number, owner_name, action, at)
    if isinstance(exc, NotFound):
        return replies.not_found(number, at)
    return replies.rejected(number, exc.errors[0].message if exc.errors else (exc.detail or exc.title), at)


# --- interactive card buttons -------------------------------------------------------------------------------

CARD_ACTIONS: dict[str, Action] = {"sign": Action.sign, "accept": Action.sign, "签收": Action.sign}
CARD_VIEWS = frozenset({"view", "query", "refresh", "查看"})


def _card_target(params: dict[str, Any]) -> tuple[str | None, int | None]:
    raw_number = params.get("number")
    if isinstance(raw_number, str) and raw_number.strip():
        return commands.normalise_number(raw_number, prefix=numbering.PREFIX), None
    for key in ("appeal_id", "appealId", "caseId"):
        value = params.get(key)
        if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
            appeal_id = int(value)
            return None, appeal_id if 0 < appeal_id < 2**63 else None
    return None, None


def handle_card_callback(session: Session, callback: CardCallbackIn, content: CardContent, *,
                         now: datetime) -> CardCallbackReply:
    """A button on an appeal card: 签收 (sign) or 查看 (refresh the status), for the DingTalk user who clicked."""
    private = content.card_private_data
    first_id = private.action_ids[0] if private.action_ids else ""
    name = str(private.params.get("action") or first_id).strip()[:20]
    principal = _principal_for(session, callback.user_id)
    if principal is None:
        session.rollback()
        return replies.card(None, "您的钉钉账号尚未登记为助企服务专员，请联系本单位管理员登记钉钉 userId。", name)
    number, appeal_id = _card_target(private.params)
    found = _visible(session, principal, number=number, appeal_id=appeal_id) if number or appeal_id else None
    if found is None:
        session.rollback()
        return replies.card(None, "未找到该诉求，或该诉求不属于您的单位", name)
    appeal, owner = found
    target_id, target_number, owner_name = appeal.id, appeal.number, owner.name
    assert target_id is not None
    action = CARD_ACTIONS.get(name.lower())
    if action is None:
        brief = _brief(session, appeal, owner, private=False)
        session.rollback()
        if name.lower() in CARD_VIEWS:
            return replies.card(brief, f"诉求 {target_number} 当前状态：{STATUS_LABELS[Status(brief.status)]}", name)
        return replies.card(None, f"不支持的操作「{name}」", name)
    try:
        appeal = workflow.perform_action(session, principal, target_id, action, ActionIn(), now=now, via=VIA)
    except AppError as exc:
        session.rollback()
        kind = ("transition" if isinstance(exc, InvalidTransition) else "forbidden" if isinstance(exc, Forbidden)
                else "not_found" if isinstance(exc, NotFound) else "other")
        text = replies.refusal_text(target_number, action, kind=kind, status=exc.extra.get("current_status"),
                                    owner_name=owner_name, message=exc.detail or exc.title)
        current = _visible(session, principal, appeal_id=target_id)
        brief = _brief(session, current[0], current[1], private=False) if current else None
        session.rollback()
        return replies.card(brief, text, name)
    owner = session.get(Unit, appeal.unit_id) or owner
    metrics.inc("zhuqi_chatbot_card_actions_total", action=action.value, help_text="Card actions performed")
    done = f"已{replies.action_label(action.value)} {appeal.number}"
    return replies.card(_brief(session, appeal, owner, private=False), done, name, handler=principal.label,
                        updated_at=now)
