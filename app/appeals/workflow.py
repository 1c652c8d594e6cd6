"""Performing an action on an appeal: load and lock, check If-Match, the transition table and who may act,
apply the action, bump the version (compare-and-set), reschedule the sweeper, commit. One action, one commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals import schedule
from app.appeals.lifecycle import TRANSITIONS, Action, Who, actions_from
from app.appeals.models import Appeal, AppealCohandler, AppealStep
from app.appeals.schemas import ActionIn
from app.auth import service as auth
from app.core import reach
from app.auth.principal import Principal
from app.db import is_postgres
from app.enums import SlaState, Status, Tier, Urgency
from app.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound, PreconditionFailed
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


def load_for_update(session: Session, principal: Principal, appeal_id: int) -> Appeal:
    """Loads a visible appeal and locks its row (PostgreSQL) so the sweeper and other requests wait or skip."""
    from app.appeals.service import visibility_clause

    query = select(Appeal).where(Appeal.id == appeal_id,
                                 visibility_clause(principal, auth.reach_unit_ids(session, principal)))
    if is_postgres(session):
        query = query.with_for_update(of=Appeal)  # type: ignore[arg-type]
    appeal = session.exec(query).first()
    if appeal is None:
        raise NotFound(f"诉求 {appeal_id} 不存在或不在您的权限范围内")
    return appeal


def may(who: Who, principal: Principal, appeal: Appeal, owner: Unit, session: Session, data: ActionIn) -> bool:
    is_member = principal.is_staff and principal.unit_id == owner.id
    is_admin_here = principal.is_admin and principal.unit_id == owner.id
    is_admin_above = principal.is_admin and principal.unit_id != owner.id and principal.reaches_path(owner.path)
    is_enterprise = principal.is_enterprise and principal.enterprise_id == appeal.enterprise_id
    match who:
        case Who.owner:
            return is_member
        case Who.owner_or_cohandler:  # a paired liaison or 楼长 adds progress notes as 协办 (app.core.reach)
            return is_member or (principal.is_staff and principal.unit_id is not None and session.get(
                AppealCohandler, (appeal.id, principal.unit_id)) is not None) or (
                principal.is_staff and reach.grants(session, principal, appeal.enterprise_id))
        case Who.owner_admin:
            return is_admin_here
        case Who.ancestor_admin:
            return is_admin_above
        case Who.admin_in_reach:
            return is_admin_here or is_admin_above
        case Who.enterprise:
            return is_enterprise
        case Who.enterprise_or_owner:
            return is_enterprise or is_member
        case Who.extension:
            return is_admin_above if data.decision is not None else is_member
    return False


def allowed_actions(session: Session, principal: Principal, appeal: Appeal, owner: Unit | None = None) -> list[str]:
    """The actions this principal may take on this appeal now (for 409 answers, the chatbot and the page)."""
    owner = owner or session.get(Unit, appeal.unit_id)
    assert owner is not None
    empty = ActionIn()
    result = []
    for action in actions_from(Status(appeal.status)):
        who = TRANSITIONS[action].who
        if may(who, principal, appeal, owner, session, empty) or (
            who is Who.extension and may(who, principal, appeal, owner, session, ActionIn(decision="approve"))
        ):
            result.append(action.value)
    return result


def perform_action(
    session: Session,
    principal: Principal,
    appeal_id: int,
    action: Action,
    data: ActionIn,
    *,
    now: datetime,
    if_match: int | None = None,
    via: str | None = None,
) -> Appeal:
    appeal = load_for_update(session, principal, appeal_id)
    if if_match is not None and if_match != appeal.version:
        raise PreconditionFailed(f"If-Match 版本 {if_match} 与当前版本 {appeal.version} 不一致")
    owner = session.get(Unit, appeal.unit_id)
    assert owner is not None
    transition = TRANSITIONS[action]
    status = Status(appeal.status)
    if status not in transition.sources:
        allowed = allowed_actions(session, principal, appeal, owner)
        raise InvalidTransition(
            f"诉求当前状态为「{_status_label(status)}」，不能{transition.label}",
            current_status=status.value, allowed_actions=allowed,
        )
    if not may(transition.who, principal, appeal, owner, session, data):
        raise Forbidden(f"您无权对该诉求执行「{transition.label}」")
    _apply(session, principal, appeal, owner, action, data, now=now, via=via)
    session.commit()
    return appeal


def _apply(session: Session, principal: Principal, appeal: Appeal, owner: Unit, action: Action, data: ActionIn, *,
           now: datetime, via: str | None) -> None:
    from app.appeals.actions import HANDLERS

    expected = appeal.version
    HANDLERS[action](Context(session, principal, appeal, owner, data, now, via))
    save(session, appeal, expected_version=expected, now=now)


def apply_on_behalf(session: Session, principal: Principal, appeal: Appeal, action: Action, data: ActionIn, *,
                    now: datetime, via: str, also_from: frozenset[Status] = frozenset()) -> None:
    """An action taken by a process that has already decided who may act — a common-problem group resolving its
    linked appeals, a phone callback recording the enterprise's rating. The transition table still applies; the
    caller holds the row (loaded in its transaction) and commits. `also_from` widens the sources for that process
    (a group resolves linked appeals nobody has signed for yet)."""
    transition = TRANSITIONS[action]
    if Status(appeal.status) not in transition.sources | also_from:
        raise InvalidTransition(f"诉求 {appeal.number} 当前状态为「{_status_label(Status(appeal.status))}」，"
                                f"不能{transition.label}", current_status=appeal.status, allowed_actions=[])
    owner = session.get(Unit, appeal.unit_id)
    assert owner is not None
    _apply(session, principal, appeal, owner, action, data, now=now, via=via)


def _status_label(status: Status) -> str:
    from app.enums import STATUS_LABELS

    return STATUS_LABELS[status]


def save(session: Session, appeal: Appeal, *, expected_version: int, now: datetime) -> None:
    """Compare-and-set on `version`: if anyone else changed the appeal since we read it, nothing is written."""
    appeal.updated_at = now
    refresh_schedule(session, appeal, now=now)
    session.flush()
    bumped = session.execute(
        sa.update(Appeal).where(col(Appeal.id) == appeal.id, col(Appeal.version) == expected_version)
        .values(version=expected_version + 1).execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:
        session.rollback()
        raise Conflict("诉求刚刚被他人或系统修改，请刷新后重试 (concurrent update)")
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(appeal, "version", expected_version + 1)


def clocks_of(session: Session, appeal: Appeal) -> schedule.Clocks:
    owner = session.get(Unit, appeal.unit_id)
    assert owner is not None
    policy = sla_service.policy_for(session, Urgency(appeal.urgency))
    return schedule.Clocks(
        status=Status(appeal.status),
        routed_at=appeal.routed_at,
        resolve_started_at=appeal.resolve_started_at or appeal.created_at,
        respond_by=appeal.respond_by,
        resolve_by=appeal.resolve_by,
        unit_resolve_by=appeal.unit_resolve_by,
        resolved_at=appeal.resolved_at,
        supervised_at=appeal.supervised_at,
        rating_window_days=policy.rating_window_days,
        at_top=units.is_top(owner),
    )


def done_steps(session: Session, appeal: Appeal) -> set[str]:
    if appeal.id is None:
        return set()
    return set(session.exec(select(AppealStep.key).where(AppealStep.appeal_id == appeal.id)).all())


def refresh_schedule(session: Session, appeal: Appeal, *, now: datetime) -> None:
    clocks = clocks_of(session, appeal)
    appeal.next_due_at = schedule.next_due_at(clocks, now, done_steps(session, appeal))
    appeal.sla_state = schedule.sla_state_of(clocks, now, SlaState(appeal.sla_state))


def move_to(session: Session, appeal: Appeal, target: Unit, *, now: datetime) -> None:
    """Hands the appeal to another unit: it must be signed for there, with a new respond deadline; the
    enterprise's resolve deadline does not reset, but the new owner gets a fair window of its own."""
    policy = sla_service.policy_for(session, Urgency(appeal.urgency))
    calendar = sla_service.load_calendar(session)
    appeal.unit_id = target.id  # type: ignore[assignment]
    appeal.tier = Tier(target.tier)
    appeal.status = Status.submitted
    appeal.routed_at = now
    appeal.respond_by = sla.add_duration(calendar, now, policy.respond)
    own_window = sla.add_duration(calendar, now, policy.resolve)
    appeal.unit_resolve_by = max(own_window, appeal.resolve_by) if appeal.resolve_by else own_window


def resolve_unit(session: Session, code: str | None, field: str = "body.target_unit_code") -> Unit:
    if not code:
        raise InvalidInput.field(field, "必须指定目标单位编码")
    unit = units.get_by_code(session, code)
    if unit is None:
        raise InvalidInput.field(field, f"单位 {code} 不存在")
    return unit
