"""Appeal intake and reads. One use case, one transaction, one commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts import quota
from app.appeals import attachments as attachment_links
from app.appeals import events, lifecycle, numbering, state, urgency
from app.appeals.access import visibility_clause
from app.appeals.models import Appeal, AppealEvent
from app.appeals.schemas import AppealCreate
from app.appeals.views import to_read
from app.auth.principal import Principal
from app.core import idempotency
from app.core.time import SHANGHAI
from app.db import new_row
from app.enterprises.models import Enterprise
from app.enterprises.service import get_by_uscc, get_with_street, staff_reaches
from app.enums import URGENCY_LABELS, AppealKind, Category, Role, SlaState, Source, Status, Tier, Urgency
from app.errors import Forbidden, InvalidInput
from app.sla import policy as sla
from app.sla import service as sla_service
from app.units import service as units
from app.units.models import Unit


@dataclass(frozen=True)
class ListFilters:
    status: list[Status] | None = None
    urgency: Urgency | None = None
    sla_state: SlaState | None = None
    tier: Tier | None = None
    unit_code: str | None = None
    category: str | None = None
    enterprise_uscc: str | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    text: str | None = None


def _enterprise_for_intake(session: Session, principal: Principal, data: AppealCreate) -> tuple[Enterprise, Unit]:
    """The enterprise the appeal is for, and its street (属地)."""
    if principal.is_enterprise:
        if data.enterprise_uscc is not None:
            raise InvalidInput.field("body.enterprise_uscc", "企业用户不能代其他企业提交 (set by your binding)")
        enterprise = session.get(Enterprise, principal.enterprise_id) if principal.enterprise_id else None
        street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
        if enterprise is None or street is None:
            raise Forbidden("请先绑定企业后再提交诉求")
        return enterprise, street
    if principal.role == Role.system:
        raise Forbidden("系统密钥不能提交诉求")
    if data.enterprise_uscc is None:
        raise InvalidInput.field("body.enterprise_uscc", "工作人员代企业提交时必须填写统一社会信用代码")
    found = get_with_street(session, data.enterprise_uscc)
    enterprise, street = found if found else (None, None)
    if enterprise is None or street is None or not staff_reaches(session, principal, enterprise.id, street):
        raise InvalidInput.field("body.enterprise_uscc", f"企业 {data.enterprise_uscc} 未登记或不在您的权限范围内")
    return enterprise, street


HARD_DEADLINE_MAX_YEARS = 2


def check_hard_deadline(deadline: date | None, *, now: datetime) -> None:
    """The enterprise's own deadline codes the appeal (red when it is ≤ 5 working days away): one in the past would
    turn any appeal red, one decades away is a typo. Today (Asia/Shanghai) is fine. A service rule, not a schema
    one: "today" comes from the injected clock."""
    if deadline is None:
        return
    today = now.astimezone(SHANGHAI).date()
    try:
        latest = today.replace(year=today.year + HARD_DEADLINE_MAX_YEARS)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year + HARD_DEADLINE_MAX_YEARS, day=28)
    if deadline < today:
        raise InvalidInput.field("body.impact.hard_deadline", f"企业截止日期不能早于今天（{today}）(must not be in "
                                                               "the past)")
    if deadline > latest:
        raise InvalidInput.field("body.impact.hard_deadline", f"企业截止日期不能晚于 {latest}（{HARD_DEADLINE_MAX_YEARS} "
                                                               "年内）(too far ahead)")


def code_for(
    session: Session, *, facts: urgency.ImpactFacts, enterprise: Enterprise, history: urgency.AppealHistory,
    now: datetime,
) -> urgency.Decision:
    return urgency.code_urgency(
        facts, urgency.EnterpriseProfile(tags=tuple(enterprise.tags)), history,
        sla_service.urgency_policy(session), now, sla_service.load_calendar(session),
    )


def facts_of(appeal: Appeal) -> urgency.ImpactFacts:
    return urgency.ImpactFacts(
        production_halted=appeal.production_halted, safety_risk=appeal.safety_risk,
        wage_arrears=appeal.wage_arrears, employees_affected=appeal.employees_affected,
        amount_cny=appeal.amount_cny, hard_deadline=appeal.hard_deadline, category=Category(appeal.category),
    )


def submit_appeal(
    session: Session,
    principal: Principal,
    data: AppealCreate,
    *,
    now: datetime,
    idempotency_key: str | None = None,
) -> idempotency.Outcome:
    """POST /api/v1/appeals: one transaction; a repeated Idempotency-Key answers with the first response."""

    def create() -> dict[str, Any]:
        enterprise, street = _enterprise_for_intake(session, principal, data)
        appeal = file_appeal(session, principal, data, enterprise=enterprise, street=street, now=now)
        return to_read(session, appeal).model_dump(mode="json")

    return idempotency.run_once(session, caller=principal.caller_key, key=idempotency_key,
                                request=data.model_dump(mode="json"), now=now, create=create)


def file_appeal(
    session: Session, principal: Principal, data: AppealCreate, *, now: datetime,
    enterprise: Enterprise | None = None, street: Unit | None = None,
    source: Source | None = None, visit_id: int | None = None, via: str | None = None,
) -> Appeal:
    """Files one appeal routed as any other, in the caller's transaction, and never commits: for a change that
    raises appeals as part of itself — a visit (one transaction for the visit and all of them; the caller has
    checked the enterprise is in reach and passes it), a declaration of interest in a policy (DESIGN §12; the
    enterprise is looked up and checked here, as at intake). `visit_id` links the appeal to that visit and the
    timeline's first event names it."""
    if enterprise is None or street is None:
        enterprise, street = _enterprise_for_intake(session, principal, data)
    quota.consume_appeal_creation(session, principal, now=now)
    owner = _first_owner(session, street, Category(data.category))
    return _new_appeal(session, principal, data, enterprise, street, owner, now=now, source=source,
                       visit_id=visit_id, via=via)


def _first_owner(session: Session, street: Unit, category: Category) -> Unit:
    """The ladder per category: most appeals start at the enterprise's street, some higher (用地 → district)."""
    wanted = lifecycle.start_tier(category)
    owner = street
    while owner.tier != wanted:
        parent = units.area_parent(session, owner)
        if parent is None:
            break
        owner = parent
    return owner


def _new_appeal(
    session: Session, principal: Principal, data: AppealCreate, enterprise: Enterprise, street: Unit,
    owner: Unit, *, now: datetime, source: Source | None = None, visit_id: int | None = None, via: str | None = None,
) -> Appeal:
    check_hard_deadline(data.impact.hard_deadline, now=now)
    attachment_links.check_attachable(session, principal, data.attachment_ids, enterprise_id=enterprise.id)  # type: ignore[arg-type]
    facts = urgency.ImpactFacts(category=data.category, **data.impact.model_dump())
    decision = code_for(session, facts=facts, enterprise=enterprise, history=urgency.AppealHistory(), now=now)
    policy = sla_service.policy_for(session, decision.urgency)
    deadlines = sla.compute_deadlines(policy, sla_service.load_calendar(session), now)
    source = source or data.source or (Source.mini_program if principal.is_enterprise else Source.visit)
    appeal = new_row(
        Appeal,
        number=numbering.next_number(session, now=now),
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        street_unit_id=street.id,  # type: ignore[arg-type]
        unit_id=owner.id,  # type: ignore[arg-type]
        tier=Tier(owner.tier),
        title=data.title,
        description=data.description,
        category=data.category,
        kind=AppealKind.individual,
        source=source,
        visit_id=visit_id,
        attachment_ids=list(data.attachment_ids),
        urgency=decision.urgency,
        urgency_reasons=list(decision.reasons),
        status=Status.submitted,
        sla_state=SlaState.on_track,
        liaison_user_id=enterprise.liaison_user_id,
        policy_version=policy.version,
        routed_at=now,
        respond_by=deadlines.respond_by,
        plan_by=deadlines.plan_by,
        feedback_by=deadlines.feedback_by,
        resolve_by=deadlines.resolve_by,
        unit_resolve_by=deadlines.resolve_by,
        resolve_started_at=now,
        original_respond_by=deadlines.respond_by,
        original_resolve_by=deadlines.resolve_by,
        created_at=now,
        updated_at=now,
        **data.impact.model_dump(),
    )
    state.refresh_schedule(session, appeal, now=now)
    raised_by = f"走访登记 #{visit_id} 中收集。" if visit_id is not None else ""
    filed = events.new_event(
        appeal, "submitted", now=now, principal=principal, via=via, to_status=Status.submitted,
        to_unit_code=owner.code,
        note=f"{raised_by}诉求已受理，分派至{owner.name}。紧急程度：{URGENCY_LABELS[decision.urgency]}"
        f"（{'；'.join(decision.reasons)}）",
        data={"urgency": decision.urgency, "urgency_reasons": list(decision.reasons),
              "policy_version": policy.version, **({"visit_id": visit_id} if visit_id is not None else {})},
    )
    events.write_with_appeal(session, appeal, filed)  # one statement on PostgreSQL (issue 20)
    attachment_links.link(session, appeal.id, data.attachment_ids)  # type: ignore[arg-type]
    events.published(session, appeal, filed, now=now)
    return appeal


def list_appeals(
    session: Session,
    principal: Principal,
    filters: ListFilters,
    *,
    reach_ids: list[int] | None,
    before_id: int | None,
    limit: int,
) -> list[Appeal]:
    query = select(Appeal).where(visibility_clause(principal, reach_ids))
    if filters.status:
        query = query.where(col(Appeal.status).in_(filters.status))
    for field in ("urgency", "sla_state", "tier", "category", "supervised"):
        value = getattr(filters, field)
        if value is not None:
            query = query.where(getattr(Appeal, field) == value)
    if filters.unit_code:
        unit = session.exec(select(Unit).where(Unit.code == filters.unit_code)).first()
        if unit is None:
            return []
        # The subtree's ids as constants, not a subquery: the planner then knows how many appeals they own and
        # walks the newest first instead of collecting and sorting all of them (21 ms → 0.2 ms at 1M appeals).
        query = query.where(col(Appeal.unit_id).in_(units.subtree_ids(session, unit)))
    if filters.enterprise_uscc:
        enterprise = get_by_uscc(session, filters.enterprise_uscc)
        query = query.where(Appeal.enterprise_id == (enterprise.id if enterprise else -1))
    if filters.overdue is not None:
        query = query.where((Appeal.sla_state == SlaState.overdue) == filters.overdue)
    if filters.text and numbering.looks_like_number(filters.text):
        query = query.where(Appeal.number == filters.text.strip().upper())  # unique index, not a scan of titles
    elif filters.text:
        query = query.where(col(Appeal.title).contains(filters.text))
    if before_id is not None:
        query = query.where(col(Appeal.id) < before_id)
    return list(session.exec(query.order_by(col(Appeal.id).desc()).limit(limit)).all())


def list_events(
    session: Session, principal: Principal, appeal: Appeal, *, after_id: int | None, limit: int
) -> list[AppealEvent]:
    query = select(AppealEvent).where(AppealEvent.appeal_id == appeal.id)
    if principal.is_enterprise:
        query = query.where(AppealEvent.public == True)
    if after_id is not None:
        query = query.where(col(AppealEvent.id) > after_id)
    return list(session.exec(query.order_by(col(AppealEvent.id)).limit(limit)).all())
