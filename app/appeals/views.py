"""Read models: appeal rows → API shapes, loading the few related rows in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, col, select

from app.appeals.models import Appeal, AppealEvent
from app.appeals.schemas import (
    AppealEventRead,
    AppealRead,
    Counters,
    Deadlines,
    ImpactRead,
    OriginalDeadlines,
)
from app.enterprises.models import Enterprise
from app.enums import Urgency
from app.sla import service as sla_service
from app.sla.policy import Duration, DurationUnit, SlaPolicy
from app.units.models import Unit

_UNIT_WORDS = {DurationUnit.minutes: "分钟", DurationUnit.hours: "小时", DurationUnit.working_days: "个工作日"}


def _within(duration: Duration) -> str:
    return f"{duration.amount}{_UNIT_WORDS[DurationUnit(duration.unit)]}内"


def promise_for(policy: SlaPolicy) -> str:
    """The promise shown to the enterprise, from the SLA policy of the appeal's urgency."""
    return f"{_within(policy.respond)}响应、{_within(policy.resolve)}办结"


M = TypeVar("M", bound=SQLModel)


def _by_id(session: Session, model: type[M], ids: set[int]) -> dict[int, M]:
    """Rows by id: those this session already holds (loaded, not expired) cost nothing; the rest come in one
    query."""
    found: dict[int, M] = {}
    for row_id in ids:
        row = session.identity_map.get(identity_key(model, row_id))
        if row is not None and not sa.inspect(row).unloaded:
            found[row_id] = row  # type: ignore[assignment]
    missing = ids - found.keys()
    if missing:
        found.update({r.id: r for r in session.exec(select(model).where(col(model.id).in_(missing))).all()})  # type: ignore[attr-defined]
    return found


def to_reads(session: Session, appeals: Sequence[Appeal]) -> list[AppealRead]:
    units = _by_id(session, Unit, {a.unit_id for a in appeals})
    enterprises = _by_id(session, Enterprise, {a.enterprise_id for a in appeals})
    promises = {u: promise_for(sla_service.policy_for(session, Urgency(u))) for u in {a.urgency for a in appeals}}
    return [_to_read(a, units[a.unit_id], enterprises[a.enterprise_id], promises[a.urgency]) for a in appeals]


def to_read(session: Session, appeal: Appeal) -> AppealRead:
    return to_reads(session, [appeal])[0]


def _to_read(a: Appeal, unit: Unit, enterprise: Enterprise, promise: str | None) -> AppealRead:
    return AppealRead.model_validate(
        {
            "id": a.id,
            "number": a.number,
            "status": a.status,
            "urgency": a.urgency,
            "urgency_reasons": a.urgency_reasons,
            "sla_state": a.sla_state,
            "tier": a.tier,
            "unit_code": unit.code,
            "unit_name": unit.name,
            "enterprise_uscc": enterprise.uscc,
            "enterprise_name": enterprise.name,
            "title": a.title,
            "description": a.description,
            "category": a.category,
            "kind": a.kind,
            "source": a.source,
            "visit_id": a.visit_id,
            "impact": ImpactRead(
                production_halted=a.production_halted, safety_risk=a.safety_risk, wage_arrears=a.wage_arrears,
                employees_affected=a.employees_affected, amount_cny=a.amount_cny, hard_deadline=a.hard_deadline,
            ),
            "attachment_ids": a.attachment_ids,
            "promise": promise,
            "deadlines": Deadlines(respond_by=a.respond_by, plan_by=a.plan_by, feedback_by=a.feedback_by,
                                   resolve_by=a.resolve_by),
            "original_deadlines": OriginalDeadlines(respond_by=a.original_respond_by,
                                                    resolve_by=a.original_resolve_by),
            "liaison_user_id": a.liaison_user_id,
            "counters": Counters(urges=a.urges, returns=a.returns, extensions=a.extensions, reopens=a.reopens,
                                 escalations=a.escalations),
            "supervised": a.supervised,
            "resolution_code": a.resolution_code,
            "public_reply": a.public_reply,
            "rating": a.rating,
            "merged_into_id": a.merged_into_id,
            "policy_version": a.policy_version,
            "version": a.version,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        }
    )


ASSIST = "协办"


def is_assist(event: AppealEvent) -> bool:
    """Recorded by someone not of the owning unit at the time (app.appeals.actions.progress), not recomputed."""
    return bool((event.data or {}).get("assist"))


def actor_label(event: AppealEvent) -> str:
    """The stored label ("王晓明（市经信局）"), marked 协办 when the event was recorded as such:
    "王晓明（市经信局·协办）"."""
    if not is_assist(event):
        return event.actor
    if event.actor.endswith("）"):
        return f"{event.actor[:-1]}·{ASSIST}）"
    return f"{event.actor}（{ASSIST}）"


def event_to_read(event: AppealEvent) -> AppealEventRead:
    return AppealEventRead(
        id=event.id,  # type: ignore[arg-type]
        type=event.type,
        actor=actor_label(event),
        at=event.at,
        from_status=event.from_status,  # type: ignore[arg-type]
        to_status=event.to_status,  # type: ignore[arg-type]
        from_unit_code=event.from_unit_code,
        to_unit_code=event.to_unit_code,
        note=event.note,
        public=event.public,
        via=event.via,
        assist=is_assist(event),
    )
