"""One handler per action (DESIGN §2), as data: `HANDLERS` maps each Action of the transition table
(app.appeals.lifecycle) to a function of a `Context`. Each mutates the locked appeal and records exactly one
timeline event (the anti ping-pong rule adds the escalation it causes). Handlers never commit:
app.appeals.workflow.perform_action does. A new action = a row in lifecycle.TRANSITIONS + a handler here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session, col, select

from app.appeals.access import get_visible
from app.appeals.domain_events import AppealResolved, AppealSettled
from app.appeals.events import record_event
from app.appeals.lifecycle import (
    MAX_EXTENSION_DAYS,
    MAX_EXTENSIONS,
    RATING_LABELS,
    RESOLUTION_CODES,
    RETURNS_BEFORE_AUTO_ESCALATION,
    Action,
    Rating,
)
from app.appeals.models import Appeal, AppealCohandler, AppealEvent, ExtensionRequest
from app.appeals.schemas import ActionIn
from app.appeals.state import move_to
from app.auth import service as auth
from app.auth.principal import Principal
from app.core import events
from app.core.time import SHANGHAI
from app.enums import STATUS_LABELS, URGENCY_LABELS, URGENCY_RANK, Status, Urgency
from app.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.sla import policy as sla
from app.sla import service as sla_service
from app.units import service as units
from app.units.models import Unit


@dataclass
class Context:
    """Everything an action handler needs, loaded once."""

    session: Session
    principal: Principal
    appeal: Appeal
    owner: Unit
    data: ActionIn
    now: datetime
    via: str | None


def resolve_unit(session: Session, code: str | None, field: str = "body.target_unit_code") -> Unit:
    if not code:
        raise InvalidInput.field(field, "必须指定目标单位编码")
    unit = units.get_by_code(session, code)
    if unit is None:
        raise InvalidInput.field(field, f"单位 {code} 不存在")
    return unit


def _require(value: object, field: str, message: str) -> None:
    if value is None or value == "":
        raise InvalidInput.field(f"body.{field}", message)


def _event(ctx: Context, event_type: str, **kwargs: object) -> AppealEvent:
    return record_event(ctx.session, ctx.appeal, event_type, now=ctx.now, principal=ctx.principal, via=ctx.via,
                        **kwargs)  # type: ignore[arg-type]


def _settled(ctx: Context, reason: str) -> None:
    """The enterprise's verdict is in or no longer asked for: a pending callback is closed with `reason`."""
    events.publish(ctx.session, AppealSettled(ctx.appeal, reason, ctx.now))


def _set_status(ctx: Context, status: Status) -> tuple[str, str]:
    before = ctx.appeal.status
    ctx.appeal.status = status
    return before, status


def sign(ctx: Context) -> None:
    a = ctx.appeal
    before, after = _set_status(ctx, Status.in_progress)
    a.responded_at = a.responded_at or ctx.now
    if ctx.principal.user_id is not None and ctx.principal.role == "liaison":
        a.liaison_user_id = ctx.principal.user_id
    _event(ctx, "signed", from_status=before, to_status=after, note=f"{ctx.owner.name}已签收，正在办理")


def progress(ctx: Context) -> None:
    _require(ctx.data.note, "note", "进展必须填写内容")
    public = True if ctx.data.public is None else ctx.data.public
    # A note by someone not of the owning unit (a paired liaison, a 楼长, a 加派 unit) is 协办: recorded now, as
    # the pairing that allowed it may end tomorrow (app.appeals.views.actor_label shows it).
    assist = ctx.principal.unit_id != ctx.owner.id
    _event(ctx, "progress", note=ctx.data.note, public=public, data={"assist": True} if assist else None)


def request_info(ctx: Context) -> None:
    _require(ctx.data.note, "note", "请说明需要企业补充的内容")
    ctx.appeal.paused_at = ctx.now
    before, after = _set_status(ctx, Status.pending_info)
    _event(ctx, "info_requested", from_status=before, to_status=after, note=ctx.data.note)


def supplement(ctx: Context) -> None:
    _require(ctx.data.note, "note", "请填写补充内容")
    a = ctx.appeal
    if a.paused_at is not None:
        calendar = sla_service.load_calendar(ctx.session)
        policy = sla_service.policy_for(ctx.session, Urgency(a.urgency))
        for field in ("resolve_by", "unit_resolve_by", "plan_by", "feedback_by"):
            deadline = getattr(a, field)
            if deadline is not None:
                unit = (policy.plan if field == "plan_by" else policy.feedback if field == "feedback_by"
                        else policy.resolve) or policy.resolve
                setattr(a, field, sla.shift_for_pause(deadline, unit.unit, a.paused_at, ctx.now, calendar))
        a.paused_at = None
    before, after = _set_status(ctx, Status.in_progress)
    _event(ctx, "supplemented", from_status=before, to_status=after, note=ctx.data.note)


def resolve(ctx: Context) -> None:
    _require(ctx.data.resolution_code, "resolution_code", "必须选择办结类型：" + "、".join(RESOLUTION_CODES))
    if ctx.data.resolution_code not in RESOLUTION_CODES:
        raise InvalidInput.field("body.resolution_code", "办结类型必须是：" + "、".join(RESOLUTION_CODES))
    _require(ctx.data.public_reply, "public_reply", "办结必须填写对企业的答复")
    a = ctx.appeal
    a.resolution_code = ctx.data.resolution_code
    a.public_reply = ctx.data.public_reply
    a.resolved_at = ctx.now
    before, after = _set_status(ctx, Status.resolved)
    _event(ctx, "resolved", from_status=before, to_status=after,
           note=f"【{ctx.data.resolution_code}】{ctx.data.public_reply}", data={"resolution_code": a.resolution_code})
    events.publish(ctx.session, AppealResolved(a, ctx.now))  # 回访: the district's callers phone the enterprise


def return_(ctx: Context) -> None:
    _require(ctx.data.reason, "reason", "退回必须说明理由")
    suggested = resolve_unit(ctx.session, ctx.data.target_unit_code) if ctx.data.target_unit_code else None
    a = ctx.appeal
    a.returns += 1
    before, after = _set_status(ctx, Status.returned)
    note = ctx.data.reason + (f"（建议改派：{suggested.name}）" if suggested else "")
    _event(ctx, "returned", from_status=before, to_status=after, note=note,
           data={"suggested_unit_code": suggested.code if suggested else None})
    if a.returns >= RETURNS_BEFORE_AUTO_ESCALATION:
        parent = units.area_parent(ctx.session, ctx.owner)
        if parent is not None:
            _escalate(ctx, parent, f"退回已达{a.returns}次，自动提级至{parent.name}", by_system=True)


def _escalate(ctx: Context, target: Unit, note: str, *, by_system: bool = False) -> None:
    a = ctx.appeal
    before, source = a.status, ctx.owner
    move_to(ctx.session, a, target, now=ctx.now)
    a.escalations += 1
    record_event(ctx.session, a, "escalated", now=ctx.now, principal=None if by_system else ctx.principal,
                 via=ctx.via, from_status=before, to_status=a.status, from_unit_code=source.code,
                 to_unit_code=target.code, note=note)


def escalate(ctx: Context) -> None:
    _require(ctx.data.reason, "reason", "提级必须说明理由")
    parent = units.area_parent(ctx.session, ctx.owner)
    if parent is None:
        raise Conflict("诉求已在市级专班，无法继续提级")
    _escalate(ctx, parent, f"提级至{parent.name}：{ctx.data.reason}")


def _hand_over(ctx: Context, event_type: str, target: Unit, verb: str) -> None:
    a = ctx.appeal
    if target.id == a.unit_id and a.status != Status.returned:  # sending a returned appeal back is allowed
        raise InvalidInput.field("body.target_unit_code", "目标单位就是当前承办单位")
    before, source = a.status, ctx.owner
    move_to(ctx.session, a, target, now=ctx.now)
    _event(ctx, event_type, from_status=before, to_status=a.status, from_unit_code=source.code,
           to_unit_code=target.code, note=f"{verb}至{target.name}" + (f"：{ctx.data.note}" if ctx.data.note else ""))


def reroute(ctx: Context) -> None:
    target = resolve_unit(ctx.session, ctx.data.target_unit_code)
    if not ctx.principal.reaches_path(target.path):
        raise InvalidInput.field("body.target_unit_code", f"单位 {target.code} 不在您的权限范围内")
    _hand_over(ctx, "rerouted", target, "改派")


def delegate(ctx: Context) -> None:
    target = resolve_unit(ctx.session, ctx.data.target_unit_code)
    if not target.path.startswith(ctx.owner.path) or target.id == ctx.owner.id:
        raise InvalidInput.field("body.target_unit_code", f"只能下派给{ctx.owner.name}的下级单位")
    _hand_over(ctx, "delegated", target, "下派")


def cohandle(ctx: Context) -> None:
    target = resolve_unit(ctx.session, ctx.data.target_unit_code)
    if target.id == ctx.owner.id or ctx.session.get(AppealCohandler, (ctx.appeal.id, target.id)):
        raise InvalidInput.field("body.target_unit_code", f"{target.name}已是承办或协办单位")
    ctx.session.add(AppealCohandler(appeal_id=ctx.appeal.id, unit_id=target.id, added_at=ctx.now))  # type: ignore[arg-type]
    _event(ctx, "cohandled", to_unit_code=target.code, note=f"加派{target.name}协办" +
           (f"：{ctx.data.note}" if ctx.data.note else ""), public=False)


def extend(ctx: Context) -> None:
    pending = ctx.session.exec(select(ExtensionRequest).where(
        ExtensionRequest.appeal_id == ctx.appeal.id, ExtensionRequest.status == "pending")).first()
    if ctx.data.decision is None:
        _request_extension(ctx, pending)
    else:
        _decide_extension(ctx, pending)


def _request_extension(ctx: Context, pending: ExtensionRequest | None) -> None:
    _require(ctx.data.days, "days", "延期必须填写工作日天数")
    _require(ctx.data.reason, "reason", "延期必须说明理由")
    a, days = ctx.appeal, int(ctx.data.days)  # type: ignore[arg-type]
    if pending is not None:
        raise Conflict("已有一个待审批的延期申请")
    if a.extensions >= MAX_EXTENSIONS:
        raise Conflict(f"最多延期 {MAX_EXTENSIONS} 次")
    if a.extension_days + days > MAX_EXTENSION_DAYS:
        raise InvalidInput.field("body.days", f"累计延期不得超过 {MAX_EXTENSION_DAYS} 个工作日"
                                 f"（已延期 {a.extension_days} 个工作日）")
    ctx.session.add(ExtensionRequest(appeal_id=a.id, unit_id=ctx.owner.id, days=days, reason=ctx.data.reason,  # type: ignore[arg-type]
                                     requested_by=ctx.principal.label, created_at=ctx.now))
    _event(ctx, "extension_requested", note=f"申请延期 {days} 个工作日：{ctx.data.reason}", public=False,
           data={"days": days})


def _decide_extension(ctx: Context, pending: ExtensionRequest | None) -> None:
    if pending is None:
        raise Conflict("没有待审批的延期申请")
    a = ctx.appeal
    pending.status = "approved" if ctx.data.decision == "approve" else "denied"
    pending.decided_by, pending.decided_at = ctx.principal.label, ctx.now
    ctx.session.add(pending)
    if pending.status == "denied":
        _event(ctx, "extension_denied", note="不同意延期" + (f"：{ctx.data.reason}" if ctx.data.reason else ""),
               public=False)
        return
    calendar = sla_service.load_calendar(ctx.session)
    # Only the current deadline moves; original_resolve_by is kept for on-time statistics.
    a.resolve_by = calendar.add_working_days(a.resolve_by, pending.days) if a.resolve_by else None
    if a.unit_resolve_by is not None:
        a.unit_resolve_by = calendar.add_working_days(a.unit_resolve_by, pending.days)
    a.extensions += 1
    a.extension_days += pending.days
    _event(ctx, "extension_approved", note=f"同意延期 {pending.days} 个工作日", data={"days": pending.days})


def urge(ctx: Context) -> None:
    a = ctx.appeal
    today = ctx.now.astimezone(SHANGHAI).date()
    last = ctx.session.exec(select(AppealEvent.at).where(AppealEvent.appeal_id == a.id, AppealEvent.type == "urged")
                            .order_by(col(AppealEvent.id).desc())).first()
    calendar = sla_service.load_calendar(ctx.session)
    if last is not None and calendar.working_days_between(last.astimezone(SHANGHAI).date(), today) == 0:
        next_day = calendar.nth_workday_after(today, 1)
        wait = datetime.combine(next_day, time(0), tzinfo=SHANGHAI)
        raise TooManyRequests("每个工作日只能催办一次", retry_after_seconds=int((wait - ctx.now).total_seconds()))
    a.urges += 1
    note = f"企业第{a.urges}次催办" + (f"：{ctx.data.note}" if ctx.data.note else "")
    if a.urges >= 2:
        _raise_to(a, Urgency.yellow, "企业二次催办")
    _event(ctx, "urged", note=note)


def _raise_to(a: Appeal, floor: Urgency, reason: str) -> None:
    """Re-coding on events never undoes an admin's override (recolor)."""
    if a.urgency_overridden or URGENCY_RANK[Urgency(a.urgency)] >= URGENCY_RANK[floor]:
        return
    a.urgency = floor
    a.urgency_reasons = [*a.urgency_reasons, reason]


def supervise(ctx: Context) -> None:
    a = ctx.appeal
    if a.supervised:
        raise Conflict("该诉求已在督办中")
    a.supervised, a.supervised_at = True, ctx.now
    _event(ctx, "supervised", note="列入督办" + (f"：{ctx.data.note or ctx.data.reason}"
                                                  if (ctx.data.note or ctx.data.reason) else ""))


def rate(ctx: Context) -> None:
    _require(ctx.data.rating, "rating", "请选择评价：satisfied | basically_satisfied | dissatisfied")
    a, rating = ctx.appeal, Rating(ctx.data.rating)
    a.rating = rating
    label = RATING_LABELS[rating] + (f"：{ctx.data.comment}" if ctx.data.comment else "")
    _settled(ctx, f"企业已评价（{RATING_LABELS[rating]}）")
    if rating is not Rating.dissatisfied:
        a.closed_at = ctx.now
        before, after = _set_status(ctx, Status.closed)
        _event(ctx, "rated", from_status=before, to_status=after, note=f"企业评价：{label}",
               data={"rating": rating.value})
        return
    reopen_for_redo(ctx, note=f"企业评价：{label}，重新办理")


def reopen_for_redo(ctx: Context, *, note: str) -> None:
    """不满意 = redo: back to the owner, red, with a fresh resolve window (the enterprise's phone callback uses
    this too)."""
    a = ctx.appeal
    a.reopens += 1
    _raise_to(a, Urgency.red, "企业不满意重办")
    policy = sla_service.policy_for(ctx.session, Urgency(a.urgency))
    a.resolve_started_at = ctx.now
    a.resolve_by = sla.add_duration(sla_service.load_calendar(ctx.session), ctx.now, policy.resolve)
    a.unit_resolve_by = a.resolve_by
    a.resolved_at = None
    before, after = _set_status(ctx, Status.in_progress)
    _event(ctx, "reopened", from_status=before, to_status=after, note=note, data={"rating": a.rating})


def close(ctx: Context) -> None:
    _settled(ctx, "已结案")
    ctx.appeal.closed_at = ctx.now
    before, after = _set_status(ctx, Status.closed)
    _event(ctx, "closed", from_status=before, to_status=after, note=ctx.data.note or "管理员结案")


def reject(ctx: Context) -> None:
    _require(ctx.data.reason, "reason", "不予受理必须说明理由")
    ctx.appeal.closed_at = ctx.now
    before, after = _set_status(ctx, Status.rejected)
    _event(ctx, "rejected", from_status=before, to_status=after, note=ctx.data.reason)


def withdraw(ctx: Context) -> None:
    _settled(ctx, "企业已撤回")
    ctx.appeal.closed_at = ctx.now
    before, after = _set_status(ctx, Status.withdrawn)
    _event(ctx, "withdrawn", from_status=before, to_status=after, note=ctx.data.reason or ctx.data.note or "企业撤回")


def merge(ctx: Context) -> None:
    _require(ctx.data.target_appeal_id, "target_appeal_id", "请指定合并到的诉求")
    if ctx.data.target_appeal_id == ctx.appeal.id:
        raise InvalidInput.field("body.target_appeal_id", "不能合并到自身")
    try:
        survivor = get_visible(ctx.session, ctx.principal, int(ctx.data.target_appeal_id),  # type: ignore[arg-type]
                               auth.reach_unit_ids(ctx.session, ctx.principal))
    except NotFound:
        raise InvalidInput.field("body.target_appeal_id", "目标诉求不存在或不在您的权限范围内") from None
    if Status(survivor.status) not in (Status.submitted, Status.in_progress, Status.pending_info, Status.returned,
                                       Status.resolved):
        raise InvalidInput.field("body.target_appeal_id", f"目标诉求 {survivor.number} 当前状态为「{STATUS_LABELS[Status(survivor.status)]}」")
    a = ctx.appeal
    a.merged_into_id = survivor.id
    a.closed_at = ctx.now
    before, after = _set_status(ctx, Status.merged)
    _event(ctx, "merged", from_status=before, to_status=after, note=f"与 {survivor.number} 重复，已合并办理",
           data={"merged_into": survivor.number})
    record_event(ctx.session, survivor, "merge_received", now=ctx.now, principal=ctx.principal, via=ctx.via,
                 note=f"{a.number} 已合并至本诉求", public=False, data={"merged": a.number})


def recolor(ctx: Context) -> None:
    _require(ctx.data.urgency, "urgency", "请指定颜色 red | yellow | green")
    _require(ctx.data.reason, "reason", "调色必须说明理由")
    a = ctx.appeal
    before = Urgency(a.urgency)
    a.urgency = Urgency(ctx.data.urgency)  # type: ignore[arg-type]
    a.urgency_overridden = True
    a.urgency_reasons = [f"管理员调整：{ctx.data.reason}"]
    _event(ctx, "recolored", note=f"由{URGENCY_LABELS[before]}调整为{URGENCY_LABELS[Urgency(a.urgency)]}："
           f"{ctx.data.reason}", public=False, data={"from": before.value, "to": a.urgency})


HANDLERS: dict[Action, Callable[[Context], None]] = {
    Action.sign: sign, Action.progress: progress, Action.request_info: request_info,
    Action.supplement: supplement, Action.resolve: resolve, Action.return_: return_, Action.reroute: reroute,
    Action.escalate: escalate, Action.delegate: delegate, Action.cohandle: cohandle, Action.extend: extend,
    Action.urge: urge, Action.supervise: supervise, Action.rate: rate, Action.close: close, Action.reject: reject,
    Action.withdraw: withdraw, Action.merge: merge, Action.recolor: recolor,
}
