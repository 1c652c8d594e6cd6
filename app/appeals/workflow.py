"""Performing an action on an appeal: load and lock, check If-Match, the transition table and who may act,
apply the action's handler (app.appeals.actions.HANDLERS), bump the version (compare-and-set) and reschedule the
sweeper (app.appeals.state), commit. One action, one commit. The use cases only: the sweeper shares the state
changes through app.appeals.state, not through this module."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.appeals.access import load_for_update
from app.appeals.actions import HANDLERS, Context
from app.appeals.lifecycle import TRANSITIONS, Action, Who, actions_from
from app.appeals.models import Appeal, AppealCohandler
from app.appeals.schemas import ActionIn
from app.appeals.state import save
from app.core import reach
from app.auth.principal import Principal
from app.enums import STATUS_LABELS, Status
from app.errors import Forbidden, InvalidTransition, PreconditionFailed
from app.units.models import Unit


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
    return STATUS_LABELS[status]


