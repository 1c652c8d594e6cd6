"""Who sees an appeal, and loading one to change it. The one home of the visibility rule: the API, the pages,
the chatbot, the attachments' downloads and the problems all ask here (app.appeals.service re-exports the names
they always used)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from app.appeals.models import Appeal, AppealCohandler
from app.auth import service as auth
from app.auth.principal import Principal
from app.core import reach
from app.db import is_postgres
from app.errors import NotFound


def visibility_clause(principal: Principal, reach_ids: list[int] | None) -> Any:
    """Who sees an appeal: its enterprise; staff whose subtree holds its owner, its street (属地) or a unit it was
    additionally dispatched to (加派: the unit that may add notes reads what it adds them to, its timeline and list)."""
    if principal.is_enterprise:
        return Appeal.enterprise_id == (principal.enterprise_id or -1)
    if reach_ids is None:
        return True
    cohandled = select(AppealCohandler.appeal_id).where(col(AppealCohandler.unit_id).in_(reach_ids))
    in_tree = or_(col(Appeal.unit_id).in_(reach_ids), col(Appeal.street_unit_id).in_(reach_ids),
                  col(Appeal.id).in_(cohandled))
    granted = reach.enterprise_clause(col(Appeal.enterprise_id), principal)  # a pairing, a building (app.core.reach)
    return in_tree if granted is None else or_(in_tree, granted)


def visible_ids(session: Session, principal: Principal) -> Any:
    """A subquery of the ids of the appeals this principal sees (for other domains' `IN (…)`)."""
    return select(Appeal.id).where(visibility_clause(principal, auth.reach_unit_ids(session, principal)))


def get_visible(session: Session, principal: Principal, appeal_id: int, reach_ids: list[int] | None) -> Appeal:
    appeal = session.exec(select(Appeal).where(Appeal.id == appeal_id, visibility_clause(principal, reach_ids))).first()
    if appeal is None:
        raise NotFound(f"诉求 {appeal_id} 不存在或不在您的权限范围内")
    return appeal


def load_for_update(session: Session, principal: Principal, appeal_id: int) -> Appeal:
    """Loads a visible appeal and locks its row (PostgreSQL) so the sweeper and other requests wait or skip."""
    query = select(Appeal).where(Appeal.id == appeal_id,
                                 visibility_clause(principal, auth.reach_unit_ids(session, principal)))
    if is_postgres(session):
        query = query.with_for_update(of=Appeal)  # type: ignore[arg-type]
    appeal = session.exec(query).first()
    if appeal is None:
        raise NotFound(f"诉求 {appeal_id} 不存在或不在您的权限范围内")
    return appeal
