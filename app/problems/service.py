"""Problem groups (共性问题 / 体制机制性问题) and the three problem lists. One use case, one commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals import events, workflow
from app.appeals import access as appeals
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn
from app.auth import service as auth
from app.auth.principal import Principal
from app.enums import OPEN_STATUSES, STATUS_LABELS, AppealKind, Status
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.problems.models import ProblemGroup, ProblemGroupAppeal
from app.problems.schemas import ProblemGroupCreate, ProblemGroupResolve
from app.units import service as units
from app.units.models import Unit

KIND_LABELS = {AppealKind.common: "共性问题", AppealKind.institutional: "体制机制性问题"}
# The statuses a group's resolution moves to `resolved` (an appeal must be with a unit and not waiting on someone).
RESOLVABLE = (Status.submitted, Status.in_progress)
SKIP_REASONS = {
    Status.pending_info: "诉求处于待补充状态，需企业补充后单独办结",
    Status.returned: "诉求已退回，待改派后单独办结",
    Status.resolved: "诉求此前已办结",
}


@dataclass(frozen=True)
class Skipped:
    appeal: Appeal
    reason: str


@dataclass(frozen=True)
class GroupResolution:
    group: ProblemGroup
    resolved: list[Appeal]
    skipped: list[Skipped]


def _unit_in_reach(session: Session, principal: Principal, code: str, field: str) -> Unit:
    unit = units.get_by_code(session, code)
    if unit is None or not principal.reaches_path(unit.path):
        raise InvalidInput.field(field, f"单位 {code} 不存在或不在您的权限范围内")
    return unit


def group_visibility(principal: Principal, reach_ids: list[int] | None) -> Any:
    """A group is visible to staff reaching its unit, or one of its appeals (a street sees the district's group
    that holds its enterprises' appeals)."""
    if reach_ids is None:
        return sa.true()
    linked_in_reach = (
        select(ProblemGroupAppeal.group_id)
        .join(Appeal, col(Appeal.id) == ProblemGroupAppeal.appeal_id)
        .where(appeals.visibility_clause(principal, reach_ids))
    )
    return sa.or_(col(ProblemGroup.unit_id).in_(reach_ids), col(ProblemGroup.id).in_(linked_in_reach))


def get_visible(session: Session, principal: Principal, group_id: int) -> ProblemGroup:
    reach = auth.reach_unit_ids(session, principal)
    group = session.exec(
        select(ProblemGroup).where(ProblemGroup.id == group_id, group_visibility(principal, reach))
    ).first()
    if group is None:
        raise NotFound(f"问题组 {group_id} 不存在或不在您的权限范围内")
    return group


def _for_change(session: Session, principal: Principal, group_id: int) -> ProblemGroup:
    group = get_visible(session, principal, group_id)
    unit = session.get(Unit, group.unit_id)
    if not principal.is_admin or unit is None or not principal.reaches_path(unit.path):
        raise Forbidden("只有问题组承办单位及其上级单位的管理员可以操作问题组")
    return group


def create_group(session: Session, principal: Principal, data: ProblemGroupCreate, *, now: datetime) -> ProblemGroup:
    unit = _unit_in_reach(session, principal, data.unit_code, "body.unit_code")
    group = ProblemGroup(kind=data.kind, title=data.title, description=data.description, unit_id=unit.id,  # type: ignore[arg-type]
                         created_by=principal.label, created_at=now, updated_at=now)
    session.add(group)
    session.commit()
    return group


def assign_group(session: Session, principal: Principal, group_id: int, unit_code: str, *,
                 now: datetime) -> ProblemGroup:
    group = _for_change(session, principal, group_id)
    if group.status != "open":
        raise Conflict("问题组已办结，不能改变承办单位")
    unit = _unit_in_reach(session, principal, unit_code, "body.unit_code")
    linked = session.exec(
        select(Appeal).join(ProblemGroupAppeal, col(ProblemGroupAppeal.appeal_id) == Appeal.id)
        .where(ProblemGroupAppeal.group_id == group.id)
    ).all()
    outside = [a.number for a in linked if not _within(session, unit, a)]
    if outside:
        raise InvalidInput.field("body.unit_code", f"{unit.name}辖区不含已关联的诉求 {'、'.join(outside[:5])}，"
                                                   "请交由更高层级的单位办理")
    group.unit_id = unit.id  # type: ignore[assignment]
    group.updated_at = now
    session.add(group)
    session.commit()
    return group


def link_appeals(session: Session, principal: Principal, group_id: int, appeal_ids: Sequence[int], *,
                 now: datetime) -> ProblemGroup:
    """Links appeals (from any enterprises and streets in reach) and marks them with the group's kind. Linking an
    appeal already in this group is a no-op; one in another group, or closed, is a 409."""
    group = _for_change(session, principal, group_id)
    if group.status != "open":
        raise Conflict("问题组已办结，不能再关联诉求")
    reach = auth.reach_unit_ids(session, principal)
    found = {a.id: a for a in session.exec(
        select(Appeal).where(col(Appeal.id).in_(appeal_ids), appeals.visibility_clause(principal, reach))
    ).all()}
    links = {link.appeal_id: link for link in session.exec(
        select(ProblemGroupAppeal).where(col(ProblemGroupAppeal.appeal_id).in_(appeal_ids))
    ).all()}
    unit = session.get(Unit, group.unit_id)
    assert unit is not None
    for position, appeal_id in enumerate(appeal_ids):
        appeal = found.get(appeal_id)
        if appeal is None:
            raise InvalidInput.field(f"body.appeal_ids.{position}", f"诉求 {appeal_id} 不存在或不在您的权限范围内")
        link = links.get(appeal_id)
        if link is not None:
            if link.group_id != group.id:
                raise Conflict(f"诉求 {appeal.number} 已归入问题组 {link.group_id}")
            continue
        if appeal.status not in OPEN_STATUSES:
            raise Conflict(f"诉求 {appeal.number} 当前状态为「{_status_label(appeal.status)}」，不能归入问题组")
        if not _within(session, unit, appeal):
            raise InvalidInput.field(f"body.appeal_ids.{position}", f"诉求 {appeal.number} 不在承办单位{unit.name}辖区内；"
                                     "跨区域的共性问题请交由更高层级（如市级专班）办理")
        _link(session, principal, group, unit, appeal, now=now)
    group.updated_at = now
    session.add(group)
    session.commit()
    return group


def _within(session: Session, unit: Unit, appeal: Appeal) -> bool:
    """The group's unit must be where the appeal is collected (属地) or handled: a common problem across
    districts is the city's to solve, so the group is handled once, at the right tier."""
    paths = [u.path for u in (session.get(Unit, appeal.street_unit_id), session.get(Unit, appeal.unit_id)) if u]
    return any(path.startswith(unit.path) for path in paths)


def _status_label(status: str) -> str:
    return STATUS_LABELS.get(Status(status), status)


def _link(session: Session, principal: Principal, group: ProblemGroup, unit: Unit, appeal: Appeal, *,
          now: datetime) -> None:
    session.add(ProblemGroupAppeal(appeal_id=appeal.id, group_id=group.id, linked_by=principal.label,  # type: ignore[arg-type]
                                   linked_at=now))
    old_kind = appeal.kind
    appeal.kind = group.kind
    appeal.version += 1
    appeal.updated_at = now
    session.add(appeal)
    session.flush()
    label = KIND_LABELS[AppealKind(group.kind)]
    events.record_event(
        session, appeal, "grouped", now=now, principal=principal,
        note=f"该诉求已纳入{label}统一协调办理，承办单位：{unit.name}。",
        data={"problem_group_id": group.id, "from_kind": old_kind, "to_kind": group.kind},
    )


def resolve_group(session: Session, principal: Principal, group_id: int, data: ProblemGroupResolve, *,
                  now: datetime) -> GroupResolution:
    """Resolves the group and, with the group's public reply, each linked appeal that a unit is handling (each gets
    its own timeline event, notification and phone-callback task); the others are reported as skipped."""
    group = _for_change(session, principal, group_id)
    if group.status != "open":
        raise Conflict("问题组已办结")
    linked = session.exec(
        select(Appeal).join(ProblemGroupAppeal, col(ProblemGroupAppeal.appeal_id) == Appeal.id)
        .where(ProblemGroupAppeal.group_id == group.id).order_by(col(Appeal.id))
    ).all()
    if not linked:  # nothing to answer: "办结" would report a resolution nobody received
        raise Conflict("问题组还没有关联任何诉求，不能办结；请先关联诉求")
    resolved, skipped = [], []
    for appeal in linked:
        if resolve_linked_appeal(session, principal, appeal, resolution_code=data.resolution_code,
                                 public_reply=data.public_reply, now=now, group_id=group.id):
            resolved.append(appeal)
        else:
            reason = SKIP_REASONS.get(Status(appeal.status), f"诉求状态为「{_status_label(appeal.status)}」")
            skipped.append(Skipped(appeal, reason))
    group.status = "resolved"
    group.resolution_code = data.resolution_code
    group.public_reply = data.public_reply
    group.resolved_at = now
    group.updated_at = now
    session.add(group)
    session.commit()
    return GroupResolution(group, resolved, skipped)


def resolve_linked_appeal(
    session: Session, principal: Principal, appeal: Appeal, *, resolution_code: str, public_reply: str,
    now: datetime, group_id: int | None = None,
) -> bool:
    """Resolves one linked appeal with the group's reply; False (and no change) unless it is submitted or in
    progress. Adds rows only; the caller commits.

    Goes through the workflow's resolve (transition table, feedback clock, notifications, the callback task)
    without its who-may-act check: the group's unit decided for all its linked appeals.
    """
    if appeal.status not in RESOLVABLE:
        return False
    appeal.responded_at = appeal.responded_at or now  # the group answered it, signed for or not
    workflow.apply_on_behalf(session, principal, appeal, Action.resolve,
                             ActionIn(resolution_code=resolution_code, public_reply=public_reply),
                             now=now, via="problem_group", also_from=frozenset(RESOLVABLE))
    return True


def list_groups(session: Session, principal: Principal, kind: AppealKind, *, before_id: int | None,
                limit: int) -> list[ProblemGroup]:
    query = select(ProblemGroup).where(ProblemGroup.kind == kind,
                                       group_visibility(principal, auth.reach_unit_ids(session, principal)))
    if before_id is not None:
        query = query.where(col(ProblemGroup.id) < before_id)
    return list(session.exec(query.order_by(col(ProblemGroup.id).desc()).limit(limit)).all())


def list_individual(session: Session, principal: Principal, *, before_id: int | None, limit: int) -> list[Appeal]:
    reach = auth.reach_unit_ids(session, principal)
    query = select(Appeal).where(Appeal.kind == AppealKind.individual, appeals.visibility_clause(principal, reach),
                                 col(Appeal.status) != Status.merged)
    if before_id is not None:
        query = query.where(col(Appeal.id) < before_id)
    return list(session.exec(query.order_by(col(Appeal.id).desc()).limit(limit)).all())
