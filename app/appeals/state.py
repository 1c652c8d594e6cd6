"""An appeal's state, shared by the workflow (actions by people) and the sweeper (steps by the clock): the
version compare-and-set, the clocks and the schedule the sweeper reads, and moving an appeal to another unit.
Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.appeals import schedule
from app.appeals.models import Appeal, AppealStep
from app.enums import SlaState, Status, Tier, Urgency
from app.errors import Conflict
from app.sla import policy as sla
from app.sla import service as sla_service
from app.units import service as units
from app.units.models import Unit


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
