"""Read models for problem groups and the problem lists, loading related rows in batches."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals import access as appeals
from app.appeals.models import Appeal
from app.auth import service as auth
from app.auth.principal import Principal
from app.core.pagination import Page
from app.enterprises.models import Enterprise
from app.enums import AppealKind
from app.problems import service
from app.problems.models import ProblemGroup, ProblemGroupAppeal
from app.problems.schemas import LinkedAppeal, ProblemGroupRead, ProblemListItem
from app.units.models import Unit


def _units(session: Session, ids: set[int]) -> dict[int, Unit]:
    return {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(ids))).all()} if ids else {}  # type: ignore[misc]


def group_counts(session: Session, group_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """group id → (appeals, distinct enterprises, distinct streets), over all linked appeals."""
    if not group_ids:
        return {}
    rows = session.exec(
        select(ProblemGroupAppeal.group_id, sa.func.count(), sa.func.count(sa.distinct(Appeal.enterprise_id)),
               sa.func.count(sa.distinct(Appeal.street_unit_id)))
        .join(Appeal, col(Appeal.id) == ProblemGroupAppeal.appeal_id)
        .where(col(ProblemGroupAppeal.group_id).in_(list(group_ids)))
        .group_by(ProblemGroupAppeal.group_id)
    ).all()
    return {gid: (n, e, s) for gid, n, e, s in rows}


def group_read(session: Session, principal: Principal, group: ProblemGroup) -> ProblemGroupRead:
    reach = auth.reach_unit_ids(session, principal)
    rows = session.exec(
        select(Appeal, ProblemGroupAppeal.linked_at, Enterprise.name)
        .join(ProblemGroupAppeal, col(ProblemGroupAppeal.appeal_id) == Appeal.id)
        .join(Enterprise, col(Enterprise.id) == Appeal.enterprise_id)
        .where(ProblemGroupAppeal.group_id == group.id, appeals.visibility_clause(principal, reach))
        .order_by(col(Appeal.id))
    ).all()
    units = _units(session, {group.unit_id} | {a.street_unit_id for a, _, _ in rows})
    n, enterprises, streets = group_counts(session, [group.id]).get(group.id, (0, 0, 0))  # type: ignore[list-item]
    unit = units[group.unit_id]
    return ProblemGroupRead(
        id=group.id, kind=group.kind, title=group.title, description=group.description,  # type: ignore[arg-type]
        unit_code=unit.code, unit_name=unit.name, status=group.status, created_by=group.created_by,  # type: ignore[arg-type]
        appeal_count=n, enterprise_count=enterprises, street_count=streets, resolution_code=group.resolution_code,
        public_reply=group.public_reply, resolved_at=group.resolved_at, created_at=group.created_at,
        updated_at=group.updated_at,
        appeals=[
            LinkedAppeal(id=a.id, number=a.number, title=a.title, enterprise_name=name,  # type: ignore[arg-type]
                         street_code=units[a.street_unit_id].code, status=a.status, category=a.category,  # type: ignore[arg-type]
                         linked_at=linked_at)
            for a, linked_at, name in rows
        ],
    )


def group_items(session: Session, groups: Sequence[ProblemGroup]) -> list[ProblemListItem]:
    counts = group_counts(session, [g.id for g in groups])  # type: ignore[misc]
    units = _units(session, {g.unit_id for g in groups})
    items = []
    for g in groups:
        n, enterprises, streets = counts.get(g.id, (0, 0, 0))  # type: ignore[arg-type]
        unit = units[g.unit_id]
        items.append(ProblemListItem(
            kind=AppealKind(g.kind), group_id=g.id, appeal_id=None, number=None, title=g.title, status=g.status,
            unit_code=unit.code, unit_name=unit.name, category=None, appeal_count=n, enterprise_count=enterprises,
            street_count=streets, created_at=g.created_at,
        ))
    return items


def appeal_items(session: Session, rows: Sequence[Appeal]) -> list[ProblemListItem]:
    units = _units(session, {a.unit_id for a in rows})
    return [
        ProblemListItem(
            kind=AppealKind.individual, group_id=None, appeal_id=a.id, number=a.number, title=a.title,
            status=a.status, unit_code=units[a.unit_id].code, unit_name=units[a.unit_id].name,
            category=a.category, appeal_count=1, enterprise_count=1, street_count=1, created_at=a.created_at,  # type: ignore[arg-type]
        )
        for a in rows
    ]


def problem_list(session: Session, principal: Principal, kind: AppealKind, *, before_id: int | None,
                 limit: int, secret: str) -> tuple[list[ProblemListItem], str | None]:
    """A page of one of the three lists, and the cursor of the next page (None on the last)."""
    if kind is AppealKind.individual:
        individual = Page.of(service.list_individual(session, principal, before_id=before_id, limit=limit + 1),
                             limit, secret)
        return appeal_items(session, individual.rows), individual.next_cursor
    groups = Page.of(service.list_groups(session, principal, kind, before_id=before_id, limit=limit + 1),
                     limit, secret)
    return group_items(session, groups.rows), groups.next_cursor
