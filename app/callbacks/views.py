"""Read model of callback tasks: the appeal, enterprise and unit loaded in batches."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.appeals.models import Appeal
from app.auth.principal import Principal
from app.callbacks.models import CallbackTask
from app.callbacks.schemas import CallbackTaskRead
from app.callbacks.service import MAX_ATTEMPTS
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.units.models import Unit


def to_reads(session: Session, principal: Principal, tasks: Sequence[CallbackTask]) -> list[CallbackTaskRead]:
    appeals = {a.id: a for a in session.exec(select(Appeal).where(col(Appeal.id).in_({t.appeal_id for t in tasks}))).all()}
    enterprises = {e.id: e for e in session.exec(
        select(Enterprise).where(col(Enterprise.id).in_({a.enterprise_id for a in appeals.values()}))).all()}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_({t.unit_id for t in tasks}))).all()}
    reads = []
    for t in tasks:
        appeal = appeals[t.appeal_id]
        enterprise = enterprises[appeal.enterprise_id]
        caller = principal.unit_id == t.unit_id  # the district's own callers need the number to phone
        reads.append(CallbackTaskRead(
            id=t.id, appeal_id=appeal.id, appeal_number=appeal.number, appeal_title=appeal.title,  # type: ignore[arg-type]
            enterprise_name=enterprise.name, contact_name=enterprise.contact_name,
            contact_mobile=enterprise.contact_mobile if caller else mask_mobile(enterprise.contact_mobile),
            unit_code=units[t.unit_id].code, unit_name=units[t.unit_id].name, status=t.status,  # type: ignore[arg-type]
            attempts=t.attempts, max_attempts=MAX_ATTEMPTS, next_try_on=t.next_try_on, rating=t.rating,  # type: ignore[arg-type]
            comment=t.comment, needs_redo=t.needs_redo, closed_reason=t.closed_reason,
            last_attempt_at=t.last_attempt_at, created_at=t.created_at, updated_at=t.updated_at,
        ))
    return reads
