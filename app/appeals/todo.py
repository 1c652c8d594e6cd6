"""A unit's to-do list: the appeals it has to act on, most urgent first, then the nearest deadline, with counts
over all of them. One query for the chatbot's 待办 and the liaison's mobile home page, so both show the same list."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.enums import SlaState, Status, Urgency

TODO_STATUSES = (Status.submitted, Status.in_progress, Status.pending_info)  # what the owning unit has to act on


@dataclass(frozen=True)
class TodoCounts:
    total: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    overdue: int = 0


def unit_todo(session: Session, unit_id: int, *, limit: int) -> tuple[TodoCounts, list[Appeal]]:
    mine = (Appeal.unit_id == unit_id, col(Appeal.status).in_(TODO_STATUSES))
    counts: dict[str, int] = {"total": 0, "red": 0, "yellow": 0, "green": 0, "overdue": 0}
    grouped = session.exec(select(Appeal.urgency, Appeal.sla_state, sa.func.count())
                           .where(*mine).group_by(Appeal.urgency, Appeal.sla_state)).all()
    for urgency, sla_state, n in grouped:
        counts["total"] += n
        if urgency in ("red", "yellow", "green"):
            counts[urgency] += n
        counts["overdue"] += n if sla_state == SlaState.overdue else 0
    rank = sa.case((Appeal.urgency == Urgency.red, 0), (Appeal.urgency == Urgency.yellow, 1), else_=2)
    deadline = sa.case((Appeal.status == Status.submitted, Appeal.respond_by), else_=Appeal.resolve_by)
    rows = session.exec(select(Appeal).where(*mine)
                        .order_by(rank, deadline.nulls_last(), col(Appeal.id)).limit(limit)).all()
    return TodoCounts(**counts), list(rows)
