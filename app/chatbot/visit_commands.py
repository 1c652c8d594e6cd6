"""The liaison's visit commands in DingTalk (DESIGN §11): `我的企业` and `走访 <信用代码或企业名称关键词> <走访情况>`.

`走访` records an on-site visit dated today through the same use case as POST /api/v1/visits
(app.visits.service.add_visit), with the chatbot's redelivery guard: the `chatbot_message` row and the visit commit
together, so DingTalk's retry of the same msgId replays the reply and never records the visit twice. The enterprise
is named by its USCC or by a keyword of its name among the enterprises the liaison reaches; more than one match
gets the candidates back, never a guess (a keyword equal to one enterprise's whole name is that enterprise).

Group chats are not one-to-one: there, enterprise names and USCCs are not shown (DESIGN §6), only counts, and the
liaison is asked to write to the robot privately for the list.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from app.auth.principal import Principal
from app.chatbot import dedup, replies
from app.chatbot.commands import Command
from app.chatbot.models import MessageStatus
from app.chatbot.schemas import RobotMessageIn, RobotReply
from app.enterprises.models import Enterprise
from app.enterprises.uscc import InvalidUscc, validate_uscc
from app.enums import VisitMode
from app.errors import AppError
from app.pairing.models import Building
from app.units.models import Unit
from app.visits import liaison, service
from app.visits.schemas import VisitCreate

VIA = "chatbot"
MAX_CANDIDATES = 8
LIST_LIMIT = 15


def my_enterprises(session: Session, principal: Principal, at: str | None, *, private: bool,
                   now: datetime) -> RobotReply:
    mine = liaison.my_enterprises(session, principal, now=now)
    overdue = sum(1 for m in mine if m.overdue)
    if not mine:
        return replies.markdown("我的企业", "🏢 我的企业", ["您目前没有结对或包干的企业。"], at)
    head = f"共 **{len(mine)}** 家，走访超期 **{overdue}** 家"
    if not private:
        return replies.markdown("我的企业", "🏢 我的企业", [head, "", "企业名单请私聊机器人发送「我的企业」查看。"], at)
    lines = [head, ""]
    for index, m in enumerate(mine[:LIST_LIMIT], start=1):
        last = f"上次走访 {m.last_visited_on}（{m.days_since} 天前）" if m.last_visited_on else "尚未走访"
        due = f"应于 {m.next_due_on} 前走访" if m.next_due_on else ""
        mark = " ⚠️走访超期" if m.overdue else ""
        appeals = f"｜在办诉求 {m.open_appeals} 件" if m.open_appeals else ""
        lines.append(f"{index}. **{replies._free(m.name, 40)}**{mark}  \n{last}｜{due}{appeals}")
    if len(mine) > LIST_LIMIT:
        lines += ["", f"仅显示前 {LIST_LIMIT} 家（超期优先）。"]
    lines += ["", "发送「走访 <企业名称关键词> <走访情况>」登记今天的上门走访。"]
    return replies.markdown(f"我的企业 {len(mine)} 家", "🏢 我的企业", lines, at)


def _in_reach(principal: Principal) -> object:
    managed = select(Building.id).where(Building.manager_user_id == principal.user_id)
    return or_(col(Unit.path).startswith(principal.unit_path or "\x00"),
               Enterprise.liaison_user_id == principal.user_id, col(Enterprise.building_id).in_(managed))


def candidates(session: Session, principal: Principal, target: str) -> list[Enterprise]:
    """Enterprises in reach named by `target`: its USCC, else those whose name contains it."""
    query = select(Enterprise).join(Unit, col(Unit.id) == Enterprise.street_unit_id).where(_in_reach(principal))
    try:
        uscc = validate_uscc(target)
    except InvalidUscc:
        uscc = None
    if uscc is not None:
        return list(session.exec(query.where(Enterprise.uscc == uscc)).all())
    found = list(session.exec(query.where(col(Enterprise.name).contains(target))
                              .order_by(col(Enterprise.name)).limit(MAX_CANDIDATES + 1)).all())
    exact = [e for e in found if e.name == target]
    return exact or found


def _ambiguous(found: list[Enterprise], target: str, at: str | None, *, private: bool) -> RobotReply:
    word = replies._free(target, 20)
    if not private:
        return replies.markdown("请指明企业", "🤔 请指明是哪家企业", [
            f"「{word}」对应 {len(found)} 家企业，未登记走访。",
            "请改用统一社会信用代码，或私聊机器人查看候选企业。"], at)
    lines = [f"「{word}」对应多家企业，未登记走访。请用统一社会信用代码或更完整的名称重新发送：", ""]
    lines += [f"{i}. {replies._free(e.name, 40)}　`{e.uscc}`" for i, e in enumerate(found[:MAX_CANDIDATES], 1)]
    if len(found) > MAX_CANDIDATES:
        lines.append("……（还有更多，请输入更完整的名称）")
    return replies.markdown("请指明企业", "🤔 请指明是哪家企业", lines, at)


def _problem(exc: AppError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'走访情况' if err.get('loc') == ('summary',) else '输入'}有误：" \
               f"{str(err.get('msg', '')).removeprefix('Value error, ')}"
    return exc.errors[0].message if exc.errors else (exc.detail or exc.title)


def record(session: Session, message: RobotMessageIn, principal: Principal, command: Command, *,
           now: datetime) -> RobotReply:
    assert command.target is not None and command.text is not None
    at, private = message.sender_staff_id or None, message.is_private
    user_id, refused = principal.user_id, "visit_refused"

    found = candidates(session, principal, command.target)
    if not found:
        word = replies._free(command.target, 20)
        reply = replies.markdown("未找到企业", "未找到企业", [
            f"在您服务的企业中没有找到「{word}」，未登记走访。请检查统一社会信用代码或企业名称。"], at)
        return dedup.finish(session, message, reply, now=now, user_id=user_id, verb=refused)
    if len(found) > 1:
        return dedup.finish(session, message, _ambiguous(found, command.target, at, private=private), now=now,
                           user_id=user_id, verb=refused)
    enterprise = found[0]
    try:
        data = VisitCreate(enterprise_uscc=enterprise.uscc, visited_on=service.today_in_shanghai(now),
                           mode=VisitMode.on_site, summary=command.text)
    except ValidationError as exc:
        reply = replies.markdown("未登记走访", "未登记走访", [_problem(exc)], at)
        return dedup.finish(session, message, reply, now=now, user_id=user_id, verb=refused)

    row = dedup.new_row(message, now=now, user_id=user_id, verb="visit")
    session.add(row)
    try:
        session.flush()  # first write: a concurrent redelivery waits here, then finds this row
    except IntegrityError as exc:
        return dedup.lost_race(session, message, exc, now=now)
    name = enterprise.name
    try:
        visit = service.add_visit(session, principal, data, now=now, via=VIA)
    except AppError as exc:
        session.rollback()  # neither the visit nor the row: store the refusal instead
        reply = replies.markdown("未登记走访", "未登记走访", [replies._free(_problem(exc))], at)
        return dedup.finish(session, message, reply, now=now, user_id=user_id, verb=refused)
    lines = [f"- 日期：{visit.visited_on}（上门走访）", f"- 走访情况：{replies._free(command.text)}",
             f"- 走访编号：{visit.id}"]
    if private:
        lines.insert(0, f"- 企业：{replies._free(name, 40)}")
    lines += ["", "如收集到企业诉求，请在助企页面的走访登记中补充。"]
    reply = replies.markdown("已登记走访", "✅ 已登记走访", lines, at)
    row.status, row.reply, row.finished_at = MessageStatus.done, dedup.dump(reply), now
    session.add(row)
    session.commit()
    return reply
