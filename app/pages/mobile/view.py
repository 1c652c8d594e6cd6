"""The appeal page's read use case: everything the template shows, as plain values, in one read transaction.

PII on the page (docs/decisions.md): the contact mobile is masked exactly as in the API (clear only for admins of
the enterprise's own street); the USCC is shown only to units whose subtree holds the enterprise's street (the
street itself and the district and city above it) and masked for everyone else (departments, co-handlers); a
group-link viewer (no person signed in) sees the contact name, mobile and USCC masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.appeals import views as appeal_views
from app.appeals import workflow
from app.appeals.lifecycle import RATING_LABELS, Rating
from app.appeals.models import Appeal, AppealEvent, ExtensionRequest
from app.auth.models import User
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile, mask_name, mask_uscc
from app.enterprises.service import sees_full_contact
from app.enums import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    URGENCY_LABELS,
    Category,
    SlaState,
    Status,
    Tier,
    Urgency,
)
from app.pages.mobile import present
from app.pages.mobile.service import visible_appeal
from app.signin.service import Viewer
from app.sla import service as sla_service
from app.units import service as units
from app.units.models import Unit

TIMELINE_LIMIT = 200
SLA_LABELS = {SlaState.on_track: "正常", SlaState.due_soon: "即将到期", SlaState.overdue: "已超期"}


@dataclass(frozen=True)
class TimelineItem:
    at: str
    label: str
    actor: str
    note: str | None
    public: bool
    change: str | None  # "待签收 → 办理中"


@dataclass(frozen=True)
class PendingExtension:
    days: int
    reason: str
    requested_by: str


@dataclass(frozen=True)
class AppealPage:
    number: str
    title: str
    description: str
    status: str
    status_label: str
    urgency: str
    urgency_label: str
    urgency_reasons: list[str]
    category_label: str
    tier_label: str
    unit_name: str
    sla_state: str
    sla_label: str
    supervised: bool
    enterprise_name: str
    enterprise_uscc: str
    contact_name: str
    contact_mobile: str
    contact_tel: str | None  # a tel: link only when the mobile is shown in clear
    liaison_name: str | None
    impact: list[str]
    deadlines: list[present.DeadlineRow]
    counters: list[str]
    resolution_code: str | None
    public_reply: str | None
    rating_label: str | None
    pending_extension: PendingExtension | None
    timeline: list[TimelineItem]
    actions: list[present.PageAction]
    version: int
    viewer_label: str
    read_only: bool


def appeal_page(session: Session, viewer: Viewer, number: str, *, now: datetime) -> AppealPage:
    try:
        return _build(session, viewer, visible_appeal(session, viewer, number), now=now)
    finally:
        session.rollback()


def _build(session: Session, viewer: Viewer, a: Appeal, *, now: datetime) -> AppealPage:
    principal = viewer.principal
    owner = session.get(Unit, a.unit_id)
    enterprise = session.get(Enterprise, a.enterprise_id)
    street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
    assert owner is not None and enterprise is not None and street is not None
    liaison = session.get(User, a.liaison_user_id) if a.liaison_user_id else None
    pending = session.exec(select(ExtensionRequest).where(
        ExtensionRequest.appeal_id == a.id, ExtensionRequest.status == "pending")).first()
    status = Status(a.status)
    if viewer.read_only:
        actions: list[present.PageAction] = []
    else:
        actions = present.page_actions(
            workflow.allowed_actions(session, principal, a, owner),
            member=principal.unit_id == owner.id,
            extension_pending=pending is not None,
            can_escalate=units.area_parent(session, owner) is not None,
        )
    clear_uscc = not viewer.read_only and principal.reaches_path(street.path)
    clear_mobile = not viewer.read_only and sees_full_contact(principal, street)
    calendar = sla_service.load_calendar(session)
    return AppealPage(
        number=a.number, title=a.title, description=a.description,
        status=status.value, status_label=STATUS_LABELS[status],
        urgency=a.urgency, urgency_label=URGENCY_LABELS[Urgency(a.urgency)], urgency_reasons=list(a.urgency_reasons),
        category_label=CATEGORY_LABELS[Category(a.category)], tier_label=TIER_LABELS[Tier(a.tier)],
        unit_name=owner.name, sla_state=a.sla_state, sla_label=SLA_LABELS[SlaState(a.sla_state)],
        supervised=a.supervised,
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc if clear_uscc else mask_uscc(enterprise.uscc),
        contact_name=mask_name(enterprise.contact_name) if viewer.read_only else enterprise.contact_name,
        contact_mobile=enterprise.contact_mobile if clear_mobile else mask_mobile(enterprise.contact_mobile),
        contact_tel=enterprise.contact_mobile if clear_mobile else None,
        liaison_name=liaison.name if liaison else None,
        impact=present.impact_lines(production_halted=a.production_halted, safety_risk=a.safety_risk,
                                    wage_arrears=a.wage_arrears, employees_affected=a.employees_affected,
                                    amount_cny=a.amount_cny, hard_deadline=a.hard_deadline),
        deadlines=present.deadline_rows(status=status, now=now, calendar=calendar, respond_by=a.respond_by,
                                        plan_by=a.plan_by, feedback_by=a.feedback_by, resolve_by=a.resolve_by,
                                        original_resolve_by=a.original_resolve_by, resolved_at=a.resolved_at),
        counters=_counters(a),
        resolution_code=a.resolution_code, public_reply=a.public_reply,
        rating_label=RATING_LABELS[Rating(a.rating)] if a.rating else None,
        pending_extension=PendingExtension(pending.days, pending.reason, pending.requested_by) if pending else None,
        timeline=_timeline(session, a, public_only=principal.is_enterprise),
        actions=actions, version=a.version, viewer_label=principal.label, read_only=viewer.read_only,
    )


def _counters(a: Appeal) -> list[str]:
    pairs = (("催办", a.urges), ("退回", a.returns), ("延期", a.extensions), ("重办", a.reopens), ("提级", a.escalations))
    return [f"{label} {n} 次" for label, n in pairs if n]


def _timeline(session: Session, a: Appeal, *, public_only: bool) -> list[TimelineItem]:
    query = select(AppealEvent).where(AppealEvent.appeal_id == a.id)
    if public_only:
        query = query.where(AppealEvent.public == True)  # noqa: E712 — SQL expression
    rows = session.exec(query.order_by(col(AppealEvent.id).desc()).limit(TIMELINE_LIMIT)).all()
    return [
        TimelineItem(
            at=present.format_short(e.at), label=present.EVENT_LABELS.get(e.type, e.type), actor=appeal_views.actor_label(e),
            note=e.note, public=e.public,
            change=(f"{STATUS_LABELS[Status(e.from_status)]} → {STATUS_LABELS[Status(e.to_status)]}"
                    if e.from_status and e.to_status and e.from_status != e.to_status else None),
        )
        for e in rows
    ]
